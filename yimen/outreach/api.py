"""JSON API of staff notices (the bell):

- GET  /notices                 the reader's notices: unread counts (total, by kind) and the list
- POST /notices/{id}/read       mark one as read
- POST /notices/read-all        mark all as read

Anonymous callers get 401 {"code": "staff_only"}; every read is scoped (notices.visible_notices).
"""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema

from yimen.core.inputs import errors
from yimen.staff import authz
from yimen.staff.tokens import BearerAuth

from . import notices

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
