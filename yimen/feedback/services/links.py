"""Rating links: signed tokens behind the QR codes on tickets and notices."""

from __future__ import annotations

from django.core import signing

from yimen.core.errors import Forbidden, NotFound
from yimen.staff.authz import authorize, staff_of

from ..models import (
    Rating,
)
from .common import TOKEN_SALT


# --- rating links (QR codes on tickets and notices) -------------------------------------------
def rating_token(*, ticket=None, case=None) -> str:
    """A signed, unguessable token naming one ticket or one case (no database write)."""
    if (ticket is None) == (case is None):
        raise ValueError("rating_token needs exactly one of ticket / case")
    payload = ["t", ticket.pk] if ticket is not None else ["c", case.pk]
    return signing.dumps(payload, salt=TOKEN_SALT, compress=True)


def authorize_rating_link(principal, obj) -> None:
    """Who may have the rating link (QR) of a ticket or a case made: for a ticket, only the clerk
    signed in at the window that served it (or a device of its outlet: the kiosk printing the
    holder's slip, the counter's tablet); for a case, staff of the case's own outlet (or its
    devices). The holder's own slip and the portal (by the slip's code or the receipt number and
    查询码) make theirs without a principal. Anything else: refused, so no link — and no 差评 —
    can be made for another outlet's window."""
    from yimen.queueing.models import Ticket

    device_outlet = getattr(principal, "device_outlet", None)
    if device_outlet is not None:
        if obj.outlet_id != device_outlet.pk:
            raise NotFound("评价对象不存在。")
        return
    staff = staff_of(principal)
    if isinstance(obj, Ticket):
        if obj.window_id is None:
            raise Forbidden("该排队号尚未在窗口办理，不能生成评价链接。", code="not_your_window")
        authorize(staff, "feedback.rating.link_ticket", obj, window=obj.window_id)
    else:
        authorize(staff, "feedback.rating.link_case", obj)


def resolve_rating_token(token: str):
    """(subject, object) for a token; NotFound for a forged or unknown one."""
    from yimen.cases.models import Case
    from yimen.queueing.models import Ticket

    try:
        kind, pk = signing.loads(token, salt=TOKEN_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise NotFound("评价链接无效，请扫描排队凭条或告知书上的二维码。", code="bad_token")
    if kind == "t":
        obj = Ticket.objects.select_related("outlet", "window", "served_by").filter(pk=pk).first()
        subject = Rating.TICKET
    else:
        obj = Case.objects.select_related("outlet", "window", "item").filter(pk=pk).first()
        subject = Rating.CASE
    if obj is None:
        raise NotFound("评价对象不存在。", code="bad_token")
    return subject, obj
