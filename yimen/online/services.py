"""Writes of 网上申报: drafts, uploads, consent, submission and re-submission (the applicant), and
网上预审 (the back office). Each public function is one transaction; the case transitions are the
cases app's (`cases.services.online`); messages leave through the outbox."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.db.models import Sum

from yimen.catalog import bundles as catalog_bundles
from yimen.core import audit, clock
from yimen.core.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from yimen.core.fields import protected_lookup_hash
from yimen.core.masking import mask_name
from yimen.notify.services import enqueue

from . import rules, seams, storage
from .identity import Identity
from .models import AgentConsent, Application, Upload
from .selectors import limits, online_outlet, pickup_places


def _lock(app: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("item", "item__department", "outlet", "case")
        .get(pk=app.pk)
    )


def _own(identity: Identity, app: Application, *, editable=True) -> Application:
    app = _lock(app)
    if identity is None or app.owner != identity.owner:
        raise Forbidden("这不是您的申报。", code="not_yours")
    if editable and app.status not in rules.EDITABLE:
        raise InvalidTransition("网上申报", app.status_label, "修改")
    return app


# --- the applicant ----------------------------------------------------------------------------
@transaction.atomic
def start(identity: Identity, item, answers: dict | None = None) -> Application:
    """A draft for `item`, its checklist tailored to the situation answers (情形)."""
    if not item.active:
        raise ValidationFailed(f"事项「{item.display_name}」已停用。", code="item_inactive")
    drafts = Application.objects.filter(owner=identity.owner, status=rules.DRAFT).count()
    if drafts >= rules.MAX_DRAFTS:
        raise Conflict(
            f"您已有 {drafts} 份未提交的草稿，请先提交或继续填写已有草稿。", code="too_many_drafts"
        )
    clean = catalog_bundles.clean_answers(item, answers)
    checklist = [
        {
            "material_id": r.get("id"),
            "name": r["name"],
            "kind": r.get("kind", ""),
            "required": bool(r.get("required", True)),
            "tolerance": bool(r.get("tolerance", False)),
            "data_sharing": bool(r.get("data_sharing", False)),
            "note": r.get("note") or "",
        }
        for r in catalog_bundles.tailored_materials(item, clean)
    ]
    now = clock.now()
    app = Application.objects.create(
        public_id="WS" + secrets.token_hex(6).upper(),
        owner=identity.owner,
        owner_id_hash=identity.id_hash,
        item=item,
        outlet=online_outlet(),
        applicant_kind=identity.kind,
        answers=clean,
        checklist=checklist,
        created_at=now,
        updated_at=now,
    )
    audit.record("public", "online.start", app, after={"item": item.code, "via": identity.source})
    return app


FORM_FIELDS = ("address", "area", "business", "contact", "remark")


@transaction.atomic
def save_form(identity: Identity, app: Application, data: dict) -> Application:
    """The applicant, the item's form and the delivery choice (draft: partial input is kept)."""
    app = _own(identity, app)
    if app.status != rules.DRAFT:
        raise InvalidTransition("网上申报", app.status_label, "修改申请表")
    kind = data.get("applicant_kind") or app.applicant_kind
    app.applicant_kind = kind if kind in ("person", "company") else "person"
    app.applicant_name = (data.get("applicant_name") or "").strip()[:100]
    app.applicant_id_number = (data.get("applicant_id_number") or "").strip().upper()[:64]
    app.credit_code = (data.get("credit_code") or "").strip().upper()[:18]
    app.applicant_phone = (data.get("applicant_phone") or "").strip()[:20]
    from yimen.core.fields import encrypt

    agent_id = (data.get("agent_id_number") or "").strip().upper()[:20]
    app.form = {
        **{k: (data.get(k) or "").strip()[:300] for k in FORM_FIELDS},
        "agent_name": (data.get("agent_name") or "").strip()[:50],
        # the agent's ID number goes to the case (protected there); here only encrypted
        "agent_id_number": encrypt(agent_id) if agent_id else "",
    }
    method = data.get("delivery_method") or ""
    if method and method not in rules.DELIVERY_LABELS:
        raise ValidationFailed("请选择结果送达方式。", code="bad_delivery")
    app.delivery_method = method
    app.delivery_address = (data.get("delivery_address") or "").strip()[:200]
    place = (data.get("pickup_place") or "").strip()
    if place and place not in pickup_places():
        raise ValidationFailed("请从列表中选择自取地点。", code="bad_pickup")
    app.pickup_place = place[:100]
    app.updated_at = clock.now()
    app.save()
    return app


def _agent_id_number(app: Application) -> str:
    from yimen.core.fields import decrypt

    stored = app.form.get("agent_id_number") or ""
    return decrypt(stored) if stored else ""


def _live_total(app: Application, replacing: int | None = None) -> int:
    """Bytes of the live files, without the one about to be replaced on line `replacing`."""
    qs = app.uploads.filter(superseded=False).exclude(line=replacing)
    return qs.aggregate(t=Sum("size"))["t"] or 0


def _line(app: Application, line) -> dict:
    try:
        index = int(line)
        if index < 0:
            raise IndexError(index)
        return app.checklist[index]
    except (ValueError, IndexError, TypeError):
        raise ValidationFailed("没有这项材料。", code="bad_line") from None


def upload(identity: Identity, app: Application, line: int, fileobj, *, request=None) -> Upload:
    """Store one file for checklist line `line` (replacing the live one). Checked by content
    (magic bytes), size and the application's total before anything is kept."""
    with transaction.atomic():
        app = _own(identity, app)
        entry = _line(app, line)  # a clear 400 for a line that does not exist
        if app.status == rules.CORRECTION and int(line) not in correction_lines(app):
            raise ValidationFailed("补正期间只需重新上传补正告知列明的材料。", code="not_named")
        return _store(app, int(line), entry, fileobj)


LETTER_LINE = 999  # the 授权委托书 of an agent's application (not a line of the checklist)


def _store(app: Application, line: int, entry: dict, fileobj) -> Upload:
    head = fileobj.read(16)
    fileobj.seek(0)
    size = int(getattr(fileobj, "size", 0) or 0)
    stored_total = app.uploads.aggregate(t=Sum("size"))["t"] or 0
    verdict = rules.check_upload(
        head, size, _live_total(app, line), limits(), stored_total=stored_total
    )
    if not verdict.ok:
        raise ValidationFailed(verdict.message, code="bad_upload")
    stored = storage.new_name(app.public_id, rules.ALLOWED[verdict.content_type])
    digest = hashlib.sha256()

    def chunks():
        for chunk in fileobj.chunks() if hasattr(fileobj, "chunks") else [fileobj.read()]:
            digest.update(chunk)
            yield chunk

    storage.save(stored, chunks())
    try:
        return _replace_upload(
            app,
            line,
            entry,
            source="upload",
            stored_name=stored,
            original_name=str(getattr(fileobj, "name", ""))[-200:],
            content_type=verdict.content_type,
            size=size,
            sha256=digest.hexdigest(),
        )
    except Exception:
        storage.delete(stored)  # the row did not make it: no orphan file
        raise


def _replace_upload(app: Application, line: int, entry: dict, **fields) -> Upload:
    app.uploads.filter(line=line, superseded=False).update(superseded=True)
    row = Upload.objects.create(
        application=app,
        line=line,
        material_id=entry.get("material_id"),
        name=entry["name"][:300],
        uploaded_at=clock.now(),
        round=app.rounds,
        **fields,
    )
    app.updated_at = clock.now()
    app.save(update_fields=["updated_at"])
    audit.record(
        "public",
        "online.upload",
        app,
        after={"line": entry["name"], "type": row.content_type, "size": row.size},
    )
    return row


@transaction.atomic
def use_licence(identity: Identity, app: Application, line: int) -> Upload:
    """Use an electronic licence (电子证照) from the licence library instead of an upload. The
    library is asked by the holder's real ID number (or USCC) kept, encrypted, on the draft; an
    agent may use the principal's licence only once the consent is recorded. Library unset or
    down, or nothing valid: a Conflict with a Chinese note — the upload is needed as before."""
    app = _own(identity, app)
    entry = _line(app, line)
    if app.status == rules.CORRECTION and int(line) not in correction_lines(app):
        raise ValidationFailed("补正期间只需重新上传补正告知列明的材料。", code="not_named")
    if not seams.shareable(_with_sharing(entry)):
        raise ValidationFailed("这项材料不能用电子证照代替，请上传文件。", code="not_shareable")
    holder_id = seams.holder_id_for(entry["name"], app.applicant_id_number, app.credit_code)
    if (
        holder_id
        and protected_lookup_hash(holder_id) != identity.id_hash
        and not AgentConsent.objects.filter(application=app).exists()
    ):
        raise Forbidden(
            "代他人申报时，须先记录委托人的同意（授权委托书），才能调用其电子证照。",
            code="consent_first",
        )
    licence, note = seams.electronic_licence_for(entry["name"], holder_id)
    if licence is None:
        raise Conflict(note, code="no_licence")
    row = _replace_upload(
        app,
        int(line),
        entry,
        source="licence",
        licence_ref=str(licence["ref"])[:80],
        licence=licence,
    )
    audit.record(
        "public",
        "online.licence_used",
        app,
        after={
            "line": entry["name"],
            "licence_no": licence["licence_no"],
            "holder_id": licence["holder_id"],
            "source": licence["source"],
            "simulator": licence["simulated"],
        },
    )
    return row


def _with_sharing(entry: dict) -> dict:
    """Drafts made before the checklist kept 可数据共享: ask the catalog."""
    if "data_sharing" in entry:
        return entry
    from yimen.catalog.models import Material

    shared = Material.objects.filter(pk=entry.get("material_id"), data_sharing=True).exists()
    return {**entry, "data_sharing": shared}


@transaction.atomic
def record_consent(
    identity: Identity, app: Application, *, method: str, principal_phone: str, letter=None
) -> AgentConsent:
    """委托: the signed-in agent records the principal's consent — the signed 授权委托书 uploaded
    (method "letter") — and the principal is told by SMS when the application is submitted."""
    from yimen.notify.services import normalize_phone

    app = _own(identity, app)
    if app.status != rules.DRAFT:
        raise InvalidTransition("网上申报", app.status_label, "记录委托")
    if method != "letter":
        raise ValidationFailed("请上传委托人签字的授权委托书。", code="bad_consent")
    phone = normalize_phone(principal_phone)
    if not phone:
        raise ValidationFailed("请填写委托人的 11 位手机号码。", code="bad_phone")
    if letter is None:
        raise ValidationFailed("请上传委托人签字的授权委托书。", code="letter_missing")
    document = _store(app, LETTER_LINE, {"name": "授权委托书"}, letter)
    consent, _ = AgentConsent.objects.update_or_create(
        application=app,
        defaults={
            "agent_name": app.form.get("agent_name") or "",
            "agent_id_hash": identity.id_hash,
            "principal_name": app.applicant_name,
            "principal_phone": phone,
            "method": method,
            "scope": f"网上申报「{app.item.display_name}」",
            "document": document,
            "recorded_at": clock.now(),
        },
    )
    audit.record(
        "public",
        "online.consent",
        app,
        after={"method": method, "principal": mask_name(app.applicant_name)},
    )
    return consent


def is_agent(identity: Identity, app: Application) -> bool:
    """The signed-in person applies for someone else: a person's ID number that is not theirs, or
    a company they did not sign in as (a 经办人 signed in with their own ID number)."""
    own = app.credit_code if app.applicant_kind == "company" else app.applicant_id_number
    return protected_lookup_hash(own) != identity.id_hash


def missing_lines(app: Application, only: set[int] | None = None) -> list[str]:
    live = set(app.uploads.filter(superseded=False).values_list("line", flat=True))
    return [
        e["name"]
        for i, e in enumerate(app.checklist)
        if e["required"] and i not in live and (only is None or i in only)
    ]


def _applicant(app: Application) -> dict:
    return {
        "applicant_kind": app.applicant_kind,
        "applicant_name": app.applicant_name,
        "applicant_id_number": app.applicant_id_number,
        "credit_code": app.credit_code,
        "applicant_phone": app.applicant_phone,
        "agent_name": app.form.get("agent_name", ""),
        "agent_id_number": _agent_id_number(app),
    }


def _precheck_due(now):
    from yimen.cases.services.online import precheck_due

    return precheck_due(now, int(limits()["precheck_workdays"]))


@transaction.atomic
def submit(identity: Identity, app: Application) -> Application:
    """提交: everything required is uploaded, the applicant and the delivery are filled in and an
    agent has recorded consent → a case in 网上预审 (no trip), the applicant told by SMS."""
    from yimen.cases.services.online import open_online_case

    app = _own(identity, app)
    if app.status != rules.DRAFT:
        raise InvalidTransition("网上申报", app.status_label, "提交")
    missing = missing_lines(app)
    if missing:
        raise ValidationFailed(
            "还有必需材料没有上传：" + "、".join(missing), code="uploads_missing"
        )
    if not app.applicant_phone:
        raise ValidationFailed(
            "请填写联系电话：预审结果和补正告知会短信通知。", code="phone_missing"
        )
    if not app.delivery_method:
        raise ValidationFailed("请选择办理结果的送达方式。", code="delivery_missing")
    if app.delivery_method == "mail" and len(app.delivery_address) < 6:
        raise ValidationFailed("邮寄送达请填写详细的收件地址。", code="address_missing")
    if app.delivery_method == "window" and not app.pickup_place:
        raise ValidationFailed("请选择自取地点。", code="pickup_missing")
    if is_agent(identity, app) and not AgentConsent.objects.filter(application=app).exists():
        raise ValidationFailed(
            "代他人申报须先记录委托人的同意（授权委托书）。", code="consent_missing"
        )
    from yimen.catalog.models import Material

    known = Material.objects.in_bulk(
        [e["material_id"] for e in app.checklist if e.get("material_id")]
    )
    materials = [
        {
            "material": known.get(e.get("material_id")),
            "name": e["name"],
            "kind": "电子",
            "required": e["required"],
            "tolerance": e.get("tolerance", False),
            "data_sharing": _with_sharing(e).get("data_sharing", False),
            "note": e.get("note", ""),
        }
        for e in app.checklist
    ]
    case = open_online_case(
        item=app.item,
        outlet=app.outlet,
        applicant=_applicant(app),
        materials=materials,
        answers=app.answers or None,
    )
    # remember which case material each checklist line became (positions are 1-based)
    lines = {m.position - 1: m.pk for m in case.materials.all()}
    now = clock.now()
    app.case = case
    app.status = rules.PRECHECK
    app.submitted_at = now
    app.rounds = 1
    app.form = {**app.form, "case_lines": {str(k): v for k, v in lines.items()}}
    app.precheck_due = _precheck_due(now)
    app.precheck_status = rules.NORMAL
    app.updated_at = now
    app.save()
    _tell(app, "online.submitted", due=f"{app.precheck_due:%m月%d日}")
    consent = AgentConsent.objects.filter(application=app).first()
    if consent is not None:
        enqueue(
            to=consent.principal_phone,
            template="online.consent",
            params={
                "agent": mask_name(consent.agent_name or "代理人"),
                "item": app.item.display_name,
                "receipt": case.receipt_number,
            },
            dedupe_key=f"online.consent:{app.pk}",
        )
    audit.record("public", "online.submit", app, after={"receipt": case.receipt_number})
    return app


def _tell(app: Application, template: str, **params) -> None:
    enqueue(
        to=app.applicant_phone,
        template=template,
        params={"receipt": app.case.receipt_number, "item": app.item.display_name, **params},
        dedupe_key=f"{template}:{app.pk}:{app.rounds}:{app.case.notices.count()}",
    )


@transaction.atomic
def resubmit(identity: Identity, app: Application) -> Application:
    """补正后重新提交: every material the notice named has a new file since the notice."""
    from yimen.cases.services.online import resubmit_online

    app = _own(identity, app)
    if app.status != rules.CORRECTION:
        raise InvalidTransition("网上申报", app.status_label, "补正后提交")
    named = correction_lines(app)
    stale = [
        app.checklist[i]["name"]
        for i in named
        if not app.uploads.filter(line=i, superseded=False, round=app.rounds).exists()
    ]
    if stale:
        raise ValidationFailed("请按补正告知重新上传：" + "、".join(stale), code="not_corrected")
    resubmit_online(app.case)
    now = clock.now()
    app.status = rules.PRECHECK
    app.precheck_due = _precheck_due(now)
    app.precheck_status = rules.NORMAL
    app.updated_at = now
    app.save()
    audit.record("public", "online.resubmit", app, after={"round": app.rounds})
    return app


def correction_lines(app: Application) -> list[int]:
    """The checklist lines the latest 补正 notice named."""
    from yimen.cases import rules as case_rules

    notice = app.case.notices.filter(kind=case_rules.NOTICE_ONE_TIME).order_by("-id").first()
    if notice is None:
        return []
    by_case_line = {v: int(k) for k, v in (app.form.get("case_lines") or {}).items()}
    return [
        by_case_line[r["id"]]
        for r in notice.content.get("materials", [])
        if r["id"] in by_case_line
    ]
