"""JSON API of staff notices (the bell):

- GET  /notices                 the reader's notices: unread counts (total, by kind) and the list
- POST /notices/{id}/read       mark one as read
- POST /notices/read-all        mark all as read
- POST /outreach/reminders      plan a 主动服务 yearly reminder (S01; a relative's phone needs
                                their consent, recorded)

Anonymous callers get 401 {"code": "unauthorized"} (a device token: 401 "staff_only"); every
read is scoped (notices.visible_notices).
"""

from __future__ import annotations

from datetime import date, datetime

from ninja import Router, Schema, Status

from yimen.core.inputs import errors
from yimen.core.masking import mask_name, mask_phone
from yimen.staff import authz
from yimen.staff.tokens import BearerAuth

from . import notices, proactive

router = Router()
auth = BearerAuth()


class NoticeOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    link: str
    created_at: datetime
    read: bool


class NoticesOut(Schema):
    unread: int
    by_kind: dict[str, int]
    items: list[NoticeOut]


class MarkedOut(Schema):
    marked: int


def _staff(request):
    return authz.request_staff(request)


def _out(n) -> NoticeOut:
    return NoticeOut(
        id=n.pk,
        kind=n.kind,
        kind_label=n.kind_label,
        title=n.title,
        link=n.link,
        created_at=n.created_at,
        read=n.read_at is not None,
    )


@router.get(
    "/notices",
    response={200: NoticesOut, **errors(401, 403)},
    auth=auth,
    summary="站内通知（铃铛：未读数与列表）",
)
def list_notices(request, unread: bool = False):
    staff = _staff(request)
    counts = notices.counts(staff)
    items = notices.listing(staff, unread_only=unread)
    return NoticesOut(
        unread=counts["unread"], by_kind=counts["by_kind"], items=[_out(n) for n in items]
    )


@router.post(
    "/notices/read-all",
    response={200: MarkedOut, **errors(401, 403)},
    auth=auth,
    summary="全部标为已读",
)
def read_all(request):
    return MarkedOut(marked=notices.mark_read(_staff(request)))


@router.post(
    "/notices/{notice_id}/read",
    response={200: MarkedOut, **errors(401, 403, 404)},
    auth=auth,
    summary="标为已读",
)
def read_one(request, notice_id: int):
    return MarkedOut(marked=notices.mark_read(_staff(request), notice_id))


# --- 主动服务 (S01) ---------------------------------------------------------------------------------


class ReminderIn(Schema):
    outlet: str
    item: str
    person_name: str
    id_number: str
    due_date: date
    channel: str = "sms"
    phone: str = ""
    relation: str = "本人"
    consent: bool = False


class ReminderOut(Schema):
    id: int
    item: str
    person_name: str
    channel: str
    phone: str
    relation: str
    consent_recorded: bool
    due_date: date
    remind_on: date
    status: str


def _reminder_out(r) -> ReminderOut:
    return ReminderOut(
        id=r.pk,
        item=r.item.code,
        person_name=mask_name(r.person_name),
        channel=r.channel,
        phone=mask_phone(r.phone),
        relation=r.consent.relation if r.consent_id else ("本人" if r.phone else ""),
        consent_recorded=r.consent_id is not None,
        due_date=r.due_date,
        remind_on=r.remind_on,
        status=r.status,
    )


@router.post(
    "/outreach/reminders",
    response={201: ReminderOut, **errors(400, 401, 403, 404, 409)},
    auth=auth,
    summary="登记主动服务年度提醒（发往亲属手机须记录其同意）",
)
def plan_reminder(request, body: ReminderIn):
    from yimen.outlets.selectors import get_outlet
    from yimen.queueing.selectors import resolve_items

    staff = _staff(request)
    reminder = proactive.plan_yearly_reminder(
        staff,
        outlet=get_outlet(body.outlet),
        item=resolve_items([body.item])[0],
        person_name=body.person_name,
        id_number=body.id_number,
        due_date=body.due_date,
        channel=body.channel,
        phone=body.phone,
        relation=body.relation,
        consent=body.consent,
        request=request,
    )
    return Status(201, _reminder_out(reminder))
