"""Reads of 网上申报: the applicant's own applications (by the signed-in owner key), the back
office's queue (scoped by staff.authz), who may read a file, and the online figures."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count

from yimen.core.errors import NotFound
from yimen.staff import authz

from . import rules, seams
from .demo import ONLINE_OUTLET
from .models import Application, Upload


def limits() -> dict:
    """Upload limits and the 预审 time limit (settings.YIMEN["ONLINE"] overrides, docs/online.md)."""
    conf = settings.YIMEN.get("ONLINE", {})
    return {
        "max_bytes": int(conf.get("MAX_BYTES", rules.MAX_BYTES)),
        "max_total_bytes": int(conf.get("MAX_TOTAL_BYTES", rules.MAX_TOTAL_BYTES)),
        "precheck_workdays": int(conf.get("PRECHECK_WORKDAYS", 1)),
    }


def online_outlet():
    from yimen.outlets.models import Outlet

    outlet = Outlet.objects.filter(code=ONLINE_OUTLET).first()
    if outlet is None:  # a fresh database without the demo: the outlet is part of the feature
        from .demo import load

        load()
        outlet = Outlet.objects.get(code=ONLINE_OUTLET)
    return outlet


def _base():
    return Application.objects.select_related("item", "item__department", "outlet", "case")


def applications_of(identity) -> list[Application]:
    if identity is None:
        return []
    return list(_base().filter(owner=identity.owner).order_by("-updated_at", "-id"))


def own_application(identity, public_id: str) -> Application:
    """The applicant's own application, or NotFound (also for someone else's: no hint)."""
    app = _base().filter(public_id=public_id).first()
    if app is None or identity is None or app.owner != identity.owner:
        raise NotFound("找不到该申报。", code="not_found")
    return app


def live_uploads(app: Application) -> dict[int, Upload]:
    return {u.line: u for u in app.uploads.filter(superseded=False)}


def checklist_rows(app: Application) -> list[dict]:
    live = live_uploads(app)
    fixes = {}
    if app.case_id and app.status == rules.CORRECTION:
        from .services import correction_lines

        notice_rows = {}
        notice = app.case.notices.filter(kind="one_time").order_by("-id").first()
        if notice:
            notice_rows = {r["id"]: r.get("fix", "") for r in notice.content.get("materials", [])}
        lines = {int(k): v for k, v in (app.form.get("case_lines") or {}).items()}
        fixes = {i: notice_rows.get(lines.get(i), "") for i in correction_lines(app)}
    return [
        {
            "line": i,
            **entry,
            "upload": live.get(i),
            "fix": fixes.get(i),
            "needs_fix": i in fixes,
            "fixed": i in fixes and live.get(i) is not None and live[i].round == app.rounds,
            "shareable": seams.shareable(entry),
        }
        for i, entry in enumerate(app.checklist)
    ]


# --- staff ------------------------------------------------------------------------------------
def queue(actor, status: str = ""):
    qs = authz.visible_to(actor, _base()).exclude(status=rules.DRAFT)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("precheck_due", "submitted_at", "id")


def for_staff(actor, pk: int) -> Application:
    return authz.get_visible(actor, _base(), "找不到该申报。", pk=pk)


def queue_counts(actor) -> dict:
    rows = (
        authz.visible_to(actor, Application.objects.all())
        .filter(status=rules.PRECHECK)
        .values("precheck_status")
        .annotate(n=Count("id"))
    )
    return {r["precheck_status"] or rules.NORMAL: r["n"] for r in rows}


def readable_upload(*, upload_id: int, identity=None, actor=None) -> Upload:
    """The file if the reader may see it: the applicant who owns the application, or staff the
    policy lets see it (online outlet's back office, the item's department). NotFound otherwise
    — the same answer whether the file exists or not."""
    row = Upload.objects.select_related("application").filter(pk=upload_id).first()
    if row is not None:
        if identity is not None and row.application.owner == identity.owner:
            return row
        if actor is not None and authz.can_see(actor, row):
            return row
    raise NotFound("找不到该文件，或您无权查看。", code="not_found")


LOCKER = "24小时智能柜"


def pickup_places() -> list[str]:
    """Where a result may be picked up: every centre and bank branch, or a 24-hour locker at a
    centre (the person comes once, to collect: that trip is counted at the handover)."""
    from yimen.outlets.models import Outlet

    outlets = list(
        Outlet.objects.filter(active=True, kind__in=("city_centre", "district_centre", "bank"))
        .order_by("kind", "code")
        .values_list("name", "kind")
    )
    centres = [name for name, kind in outlets if kind != "bank"]
    return [name for name, _kind in outlets] + [f"{LOCKER}（{c}）" for c in centres]
