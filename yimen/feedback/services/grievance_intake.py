"""Grievance intake: numbering and submitting a 办不成事 grievance."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction

from yimen.core import audit, clock
from yimen.core.errors import Conflict, ValidationFailed
from yimen.core.masking import mask_name, mask_phone
from yimen.core.selectors import work_calendar
from yimen.core.validators import (
    check_mobile,
    check_resident_id,
    normalize_id_number,
)
from yimen.staff.authz import authorize, staff_of

from .. import conf, rules
from ..models import (
    Grievance,
)
from .common import _event, _notify, _typed_time
from .ladder import _enter_level


def _next_number(outlet, day: date) -> tuple[int, str]:
    last = (
        Grievance.objects.filter(outlet=outlet, received_date=day)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    ) or 0
    seq = last + 1
    return seq, f"BB-{outlet.code}-{day:%Y%m%d}-{seq:03d}"


def _lock_outlet(outlet) -> None:
    """Serialise intakes of one outlet, so that the duplicate check and the day's number see every
    committed intake. PostgreSQL: FOR NO KEY UPDATE on the outlet row (it does not block the key
    share locks that tickets and cases referencing the outlet take); SQLite ignores it, its
    IMMEDIATE transactions already serialise writers."""
    from yimen.outlets.models import Outlet

    list(Outlet.objects.select_for_update(no_key=True).filter(pk=outlet.pk).values_list("pk"))


def _same_submission(outlet, key: tuple[object, ...], since: datetime) -> Grievance | None:
    """The grievance this intake repeats, if one was received in the last few minutes (the
    person's fields are encrypted: the few candidates are compared here, not in SQL)."""
    candidates = Grievance.objects.filter(
        outlet=outlet, category=key[0], received_at__gte=since
    ).order_by("received_at", "pk")
    for g in candidates:
        if (
            rules.submission_key(
                category=g.category,
                description=g.description,
                phone=g.phone,
                id_number=g.id_number,
                name=g.applicant_name,
                ticket=g.ticket_id,
                case=g.case_id,
            )
            == key
        ):
            return g
    return None


def submit_grievance(
    *,
    outlet,
    category: str,
    description: str,
    phone: str = "",
    applicant_name: str = "",
    id_number: str = "",
    item=None,
    window=None,
    staff=None,
    ticket=None,
    case=None,
    occurred_at: datetime | None = None,
    missing_materials=None,
    channel: str = "window",
    actor=None,
    request=None,
) -> Grievance:
    """Intake of a 办不成事 reflection (window 102 or the portal). Returns the grievance, whose
    number and public token go on the acknowledgement slip."""
    for attempt in range(5):
        try:
            return _submit_grievance(
                outlet=outlet,
                category=category,
                description=description,
                phone=phone,
                applicant_name=applicant_name,
                id_number=id_number,
                item=item,
                window=window,
                staff=staff,
                ticket=ticket,
                case=case,
                occurred_at=occurred_at,
                missing_materials=missing_materials,
                channel=channel,
                actor=actor,
                request=request,
            )
        except IntegrityError:
            if attempt == 4:
                raise Conflict("受理编号冲突，请重试。", code="number_conflict")
    raise AssertionError("unreachable")


@transaction.atomic
def _submit_grievance(
    *,
    outlet,
    category,
    description,
    phone,
    applicant_name,
    id_number,
    item,
    window,
    staff,
    ticket,
    case,
    occurred_at,
    missing_materials,
    channel,
    actor,
    request,
):
    intake_staff = None
    if channel == "window" or staff_of(actor) is not None:
        intake_staff = authorize(actor, "feedback.grievance.intake", outlet)
    if channel not in dict(Grievance._meta.get_field("channel").choices):
        raise ValidationFailed("反映渠道不正确。", code="channel_invalid")
    if category not in rules.CATEGORY_LABELS:
        raise ValidationFailed(
            "请选择反映类别：办不了 / 很难办 / 不给办 / 其他。", code="category_required"
        )
    description = (description or "").strip()
    if not description:
        raise ValidationFailed("请填写反映内容（发生了什么）。", code="description_required")
    if len(description) > 2000:
        raise ValidationFailed("反映内容不能超过 2000 字。", code="description_too_long")
    phone = (phone or "").strip()
    if (
        not phone and case is None
    ):  # a case handed over from intake carries its own contact (if any)
        raise ValidationFailed(
            "请留下联系电话，便于告知处理进展（可不留姓名）。", code="phone_required"
        )
    if phone and not check_mobile(phone):
        raise ValidationFailed("联系电话应为 11 位手机号码。", code="phone_invalid")
    applicant_name = (applicant_name or "").strip()[:50]
    id_number = normalize_id_number(id_number)
    if id_number:
        check = check_resident_id(id_number, clock.today())
        if not check.ok:
            raise ValidationFailed(check.message, code="id_number_invalid")
    occurred_at = _typed_time(occurred_at, "原办事时间", "occurred_at_invalid")
    materials = [str(m).strip() for m in (missing_materials or []) if str(m).strip()]
    if ticket is not None:
        if ticket.outlet_id != outlet.pk:
            raise ValidationFailed("所涉排队号不属于本网点。", code="ticket_outlet_mismatch")
        window = window or ticket.window
        staff = staff or ticket.served_by
        occurred_at = occurred_at or ticket.called_at or ticket.issued_at
        item = item or ticket.handled_items.first() or ticket.items.first()
    if case is not None:
        window = window or case.window
        staff = staff or getattr(case, "accepted_by", None) or getattr(case, "opened_by", None)
        item = item or case.item
        occurred_at = occurred_at or case.opened_at
    if window is not None and window.outlet_id != outlet.pk:
        raise ValidationFailed("所涉窗口不属于本网点。", code="window_outlet_mismatch")
    if item is not None and materials:
        known = set(item.materials.values_list("name", flat=True))
        unknown = [m for m in materials if m not in known]
        if unknown:
            raise ValidationFailed(
                f"「{item.name}」的材料目录中没有：{'、'.join(unknown)}。", code="material_unknown"
            )
    now = clock.now()
    _lock_outlet(outlet)
    repeated = _same_submission(
        outlet,
        rules.submission_key(
            category=category,
            description=description,
            phone=phone,
            id_number=id_number,
            name=applicant_name,
            ticket=ticket.pk if ticket is not None else None,
            case=case.pk if case is not None else None,
        ),
        now - timedelta(minutes=rules.DUPLICATE_WINDOW_MINUTES),
    )
    if repeated is not None:
        repeated.replayed = True
        return repeated
    today = clock.local(now).date()
    cal = work_calendar()
    seq, number = _next_number(outlet, today)
    g = Grievance.objects.create(
        number=number,
        seq=seq,
        received_date=today,
        public_token=secrets.token_urlsafe(16),
        channel=channel,
        category=category,
        status=rules.G_RECEIVED,
        outlet=outlet,
        item=item,
        window=window,
        staff=staff,
        ticket=ticket,
        case=case,
        occurred_at=occurred_at,
        applicant_name=applicant_name,
        id_number=id_number,
        phone=phone,
        description=description,
        missing_materials=materials,
        received_at=now,
        received_by=intake_staff,
        first_response_due=rules.first_response_due(
            today, cal, conf.first_response_workdays(outlet)
        ),
    )
    _event(
        g,
        "intake",
        "",
        intake_staff,
        note=rules.CATEGORY_LABELS[category],
        label="" if intake_staff else "群众（一网通办）",
    )
    audit.record(
        intake_staff or "citizen",
        "grievance.intake",
        g,
        request=request,
        after={
            "number": g.number,
            "category": category,
            "channel": channel,
            "name": mask_name(applicant_name),
            "phone": mask_phone(phone),
        },
    )
    _notify(
        g,
        f"【{outlet.name}】您的“办不成事”反映已受理，编号 {g.number}，"
        f"我们将于 {g.first_response_due:%m月%d日} 前答复。",
        channel="slip",
    )
    _notify(
        g,
        f"【{outlet.name}】您的“办不成事”反映已受理，编号 {g.number}，"
        f"我们将于 {g.first_response_due:%m月%d日} 前答复。",
        template="grievance.accepted",
        params={"outlet": outlet.name, "due": f"{g.first_response_due:%m月%d日}"},
    )
    from yimen.outreach.notices import new_grievance

    new_grievance(g)  # the outlet's chiefs and director: a notice on their bell
    if category == rules.HARD:
        _enter_level(g, 1, intake_staff, reason="很难办：启动逐级协调", first=True)
        g.first_response_at = now
        g.save(update_fields=["first_response_at"])
    g.replayed = False
    return g
