"""网上预审 by the back office (the online outlet's comprehensive back office or the item's
department): accept, one online 补正, refuse; the result leaves without a trip; the 预审 time
limit job. The case transitions are cases' (`cases.services.online`); one transaction each."""

from __future__ import annotations

from django.db import transaction

from yimen.core import clock
from yimen.core.errors import Conflict

from . import rules, seams
from .models import Application
from .services import _lock, _tell


def _sync(app: Application) -> None:
    app.case.refresh_from_db()
    app.status = rules.status_from_case(app.case.status)
    app.updated_at = clock.now()
    if app.status != rules.PRECHECK:
        app.precheck_status = ""
    app.save()


@transaction.atomic
def accept(actor, app: Application, *, request=None) -> Application:
    """受理 online: every live file counts as received electronically (or by data sharing)."""
    from yimen.cases.services.online import precheck_accept

    app = _lock(app)
    case_lines = {int(k): v for k, v in (app.form.get("case_lines") or {}).items()}
    live = [u for u in app.uploads.filter(superseded=False) if u.line in case_lines]
    # an electronic licence counts (数据共享调取) only while still valid; one expired since the
    # draft leaves its line missing, so the back office asks for it in a 补正
    licences = {
        case_lines[u.line]: u
        for u in live
        if u.source == "licence" and seams.licence_still_valid(u.licence)
    }
    received = {
        case_lines[u.line]: "electronic" for u in live if u.source != "licence"
    } | dict.fromkeys(licences, "data_sharing")
    precheck_accept(actor, app.case, received=received, request=request)
    for line in app.case.materials.filter(pk__in=list(licences)):
        seams.record_licence_use(app.case, line, licences[line.pk].licence)
    _sync(app)
    due = app.case.due_date
    _tell(app, "online.accepted", due=f"{due:%m月%d日}" if due else "法定期限内")
    return app


@transaction.atomic
def correct(actor, app: Application, *, fixes: dict[int, str], note: str = "", request=None):
    """One online 补正: `fixes` maps checklist lines to what is wrong with each."""
    from yimen.cases.services.online import precheck_correct

    app = _lock(app)
    case_lines = {int(k): v for k, v in (app.form.get("case_lines") or {}).items()}
    notice = precheck_correct(
        actor,
        app.case,
        fixes={case_lines[int(k)]: v for k, v in fixes.items() if int(k) in case_lines},
        note=note,
        request=request,
    )
    app.rounds += 1  # files uploaded from now on belong to the correction round
    _sync(app)
    names = "、".join(r["name"] for r in notice.content["materials"])
    _tell(app, "online.correction", materials=names[:60])
    return notice


@transaction.atomic
def refuse(actor, app: Application, *, reason: str, request=None):
    from yimen.cases.services.online import precheck_refuse

    app = _lock(app)
    notice = precheck_refuse(actor, app.case, reason=reason, request=request)
    _sync(app)
    _tell(app, "online.refused", reason=reason.strip()[:40])
    return notice


@transaction.atomic
def deliver_result(actor, app: Application, *, tracking_number: str = "", base_url: str = ""):
    """The result leaves as the applicant chose: electronic (the PDF with its QR, downloaded by
    the applicant; the licence itself reached the library when it was issued) or by post (tracking number); a pick-up is handed over at
    the window (cases.deliver there, which counts that trip)."""
    from yimen.cases import rules as case_rules, services as case_services

    app = _lock(app)
    case = app.case
    if case.status == case_rules.DECIDED and case.decision == case_rules.APPROVE:
        case_services.issue_result(actor, case)
        case.refresh_from_db()
    if app.delivery_method == "window":
        # the result waits at the chosen place; the handover there (cases.deliver) counts the trip
        if case.status != case_rules.RESULT_READY:
            raise Conflict("该办件还没有可领取的结果。", code="no_result")
        _tell(app, "online.result", how=f"请到{app.pickup_place}领取"[:60])
        _sync(app)
        return app
    method = "electronic" if app.delivery_method == "electronic" else "mail"
    case_services.deliver(
        actor,
        case,
        method=method,
        tracking_number=tracking_number,
        recipient=app.applicant_name,
    )
    # the issued licence was queued for the library by issue_result (exchange.hooks.result_issued,
    # pushed after commit): nothing more to push here — one result, one push
    how = (
        "电子证照已可在网上申报中下载"
        if method == "electronic"
        else f"已邮寄，单号{tracking_number}"
    )
    _tell(app, "online.result", how=how)
    _sync(app)
    return app


def refresh_precheck(job) -> None:
    """预审 deadlines: 正常 / 预警 (due today) / 逾期, each application in its own transaction."""
    from yimen.core.selectors import work_calendar

    cal = work_calendar()
    today = clock.local(clock.now()).date()

    def one(pk):
        app = Application.objects.select_for_update().get(pk=pk)
        if app.status != rules.PRECHECK or app.precheck_due is None:
            return None
        status = rules.precheck_status(cal.workdays_between(today, app.precheck_due))
        if status != app.precheck_status:
            app.precheck_status = status
            app.save(update_fields=["precheck_status"])
            return f"{app.public_id}:{status}"
        return None

    keys = list(Application.objects.filter(status=rules.PRECHECK).values_list("pk", flat=True))
    job.done.extend(job.each(keys, one, label=lambda pk: f"申报 {pk}"))


def precheck_chore(run) -> dict:
    """The worker's chore (notify.worker.DEFAULT_CHORES) and `yimen online refresh`."""
    refresh_precheck(run)
    return {"changed": list(run.done), **run.as_dict()}
