"""一件事 intake: one joint form → linked cases (one per item) under one receipt number; the
merged checklist is checked once and marks every linked case; acceptance and the one-time notice
run over all of them. Scope is the cases' own (authz: case.intake at the application's outlet)."""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction

from yimen.catalog import bundles as catalog_bundles
from yimen.core import audit, clock
from yimen.core.errors import Conflict, ValidationFailed
from yimen.staff.authz import authorize, staff_of

from .. import rules
from ..models import BundleApplication, BundleCase, Case
from .acceptance import accept
from .common import _local_date
from .intake import assessment, check_materials, notify_missing
from .situations import open_tailored_case

_PG_BUNDLE_LOCK = 774413


def _new_number(outlet, on) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_PG_BUNDLE_LOCK, outlet.pk])
    prefix = f"YJS-{outlet.code}-{on:%Y%m%d}-"
    last = (
        BundleApplication.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:03d}"


def clean_form(bundle, form: dict) -> dict:
    """The joint form's own fields (asked once); a required one left empty is a Chinese 400."""
    clean = {}
    for f in bundle.form_fields or []:
        value = str((form or {}).get(f["key"], "") or "").strip()[:200]
        if f.get("required") and not value:
            raise ValidationFailed(f"请填写联合申请表的「{f['label']}」。", code="form_field")
        clean[f["key"]] = value
    return clean


@transaction.atomic
def open_bundle(
    actor,
    *,
    bundle,
    outlet=None,
    window=None,
    ticket=None,
    applicant: dict,
    form: dict | None = None,
    answers: dict | None = None,
    request=None,
) -> BundleApplication:
    """一窗受理 of a 一件事: the joint form once, a case per item linked under one number."""
    if ticket is not None:
        outlet = outlet or ticket.outlet
        window = window or ticket.window
    if outlet is None:
        raise ValidationFailed("请指定受理网点。")
    authorize(actor, "case.intake", outlet=outlet)
    if not bundle.active:
        raise ValidationFailed(f"「{bundle.name}」已停用。")
    fields = clean_form(bundle, form or {})
    items = catalog_bundles.bundle_items(bundle)
    now = clock.now()
    app = None
    for _attempt in range(5):
        try:
            with transaction.atomic():
                app = BundleApplication.objects.create(
                    number=_new_number(outlet, _local_date(now)),
                    bundle=bundle,
                    outlet=outlet,
                    window=window,
                    ticket=ticket,
                    applicant_name=(applicant.get("applicant_name") or "").strip()[:100],
                    form_data=fields,
                    opened_by=staff_of(actor),
                    opened_at=now,
                )
            break
        except IntegrityError:
            app = None
    if app is None:
        raise Conflict("一件事受理编号分配冲突，请重试。")
    answers = answers or {}
    for pos, item in enumerate(items, start=1):
        case = open_tailored_case(
            actor,
            item=item,
            answers=answers.get(item.code),
            outlet=outlet,
            window=window,
            ticket=ticket,
            applicant=applicant,
            request=request,
        )
        BundleCase.objects.create(application=app, case=case, position=pos)
    audit.record(
        actor,
        "case.bundle.open",
        app,
        after={"number": app.number, "bundle": bundle.code, "items": [i.code for i in items]},
        request=request,
    )
    return app


def cases_of(app: BundleApplication) -> list[Case]:
    return [
        link.case
        for link in app.links.select_related("case__item__department", "case__outlet").order_by(
            "position"
        )
    ]


def merged_checklist(app: BundleApplication) -> list[dict]:
    """The merged list with, per line, the case-material lines it stands for and their state (the
    lowest: missing before pending before received). Situational lines that no merged line
    covers follow, each on its own."""
    cases = cases_of(app)
    lines = [m for c in cases for m in c.materials.all()]
    by_material: dict[int, list] = {}
    for m in lines:
        if m.material_id:
            by_material.setdefault(m.material_id, []).append(m)
    rows, used = [], set()
    for bm in app.bundle.materials.all().prefetch_related("sources"):
        covered = [ln for s in bm.sources.all() for ln in by_material.get(s.pk, [])]
        if not covered:
            continue  # every line it covers was removed by a situation
        used.update(ln.pk for ln in covered)
        rows.append(_row(bm.pk, bm.name, bm.kind, any(ln.required for ln in covered), covered))
    for ln in lines:
        if ln.pk not in used:
            rows.append(_row(f"m{ln.pk}", ln.name, ln.kind, ln.required, [ln]))
    return rows


_ORDER = [rules.M_MISSING, rules.M_TOLERATED, rules.M_PENDING, rules.M_RECEIVED]


def _row(key, name, kind, required, covered) -> dict:
    state = min((ln.state for ln in covered), key=_ORDER.index)
    return {
        "key": str(key),
        "name": name,
        "kind": kind,
        "required": required,
        "state": state,
        "state_label": dict(rules.MATERIAL_STATE_CHOICES)[state],
        "promise": any(getattr(ln, "received_via", "") == "promise" for ln in covered),
        "lines": [ln.pk for ln in covered],
        "items": sorted({ln.case.item.display_name for ln in covered}),
    }


@transaction.atomic
def check_bundle(actor, app: BundleApplication, marks: dict, *, request=None):
    """Marks on the merged list ({row key: (state, via)}) applied to every case line it covers."""
    authorize(actor, "case.intake", app)
    rows = {r["key"]: r for r in merged_checklist(app)}
    per_case: dict[int, dict] = {}
    cases = {c.pk: c for c in cases_of(app)}
    line_case = {ln.pk: ln.case_id for c in cases.values() for ln in c.materials.all()}
    for key, mark in marks.items():
        row = rows.get(str(key))
        if row is None:
            raise ValidationFailed("材料不属于该一件事申请。", code="not_in_bundle")
        if row["promise"]:
            continue  # replaced by a signed promise: not marked again
        for line in row["lines"]:
            per_case.setdefault(line_case[line], {})[line] = mark
    for case_pk, case_marks in per_case.items():
        check_materials(actor, cases[case_pk], case_marks, request=request)
    return app


def bundle_assessment(app: BundleApplication) -> dict:
    rows = merged_checklist(app)
    missing = [r for r in rows if r["required"] and r["state"] == rules.M_MISSING]
    pending = [r for r in rows if r["required"] and r["state"] == rules.M_PENDING]
    return {"rows": rows, "missing": missing, "pending": pending}


@transaction.atomic
def accept_bundle(actor, app: BundleApplication, *, request=None) -> list[Case]:
    """Accept every linked case (即办件 finish at once); refused as a whole if any cannot be."""
    authorize(actor, "case.intake", app)
    a = bundle_assessment(app)
    if a["pending"]:
        raise ValidationFailed(
            "还有材料未核验：" + "、".join(r["name"] for r in a["pending"]) + "。",
            code="pending",
        )
    if a["missing"]:
        raise Conflict(
            "缺少材料：" + "、".join(r["name"] for r in a["missing"]) + "。请出具一次性告知书。",
            code="materials_missing",
        )
    out = []
    for case in cases_of(app):
        if case.status == rules.DRAFT:
            accept(actor, case, request=request)
        out.append(Case.objects.get(pk=case.pk))
    return out


@transaction.atomic
def notify_bundle_missing(actor, app: BundleApplication, *, request=None) -> list:
    """一次性告知 for the whole application: a notice on each linked case that misses something
    (each lists all its missing materials at once)."""
    authorize(actor, "case.intake", app)
    notices = []
    for case in cases_of(app):
        if case.status == rules.DRAFT and assessment(case).missing_required:
            notices.append(notify_missing(actor, case, request=request))
    if not notices:
        raise Conflict("材料齐全，应当受理，不能出具一次性告知书。", code="materials_complete")
    return notices


def progress(app: BundleApplication) -> dict:
    """One progress view of the whole: each case's status, and the whole's own."""
    cases = cases_of(app)
    done = [c for c in cases if c.status in rules.FINAL_STATES]
    return {
        "number": app.number,
        "bundle": app.bundle.name,
        "cases": [
            {
                "receipt_number": c.receipt_number,
                "item": c.item.display_name,
                "department": c.item.department.name,
                "status": c.status,
                "status_label": c.status_label,
                "due_date": c.due_date,
            }
            for c in cases
        ],
        "done": len(done),
        "total": len(cases),
        "finished": len(done) == len(cases),
    }
