"""Writes of the guide desk: issuing a ticket for what the triage found.

The ticket itself is the queue's business (queueing.services.issue_ticket: numbering, routing,
audit). The desk adds who may do it (引导员 of this outlet), the green channel (an elderly,
disabled or military person: a priority ticket, routed to 绿色通道 when every item allows it)
and its channel label (引导台).
"""

from __future__ import annotations

from yimen.core.errors import Unauthorized, ValidationFailed
from yimen.outlets.models import Outlet
from yimen.queueing import services as queue_services
from yimen.staff.authz import authorize, staff_of

PRIORITIES = ("老年人", "残疾人", "军人", "孕妇", "其他")


def open_desk(actor, outlet_code: str | None = None) -> tuple:
    """(staff, outlet) of the guide desk the actor may use; Forbidden otherwise."""
    staff = staff_of(actor)
    if staff is None:
        raise Unauthorized("请先以工作人员身份登录。")
    outlet = staff.outlet
    if outlet_code:
        outlet = Outlet.objects.filter(code=outlet_code, active=True).first()
        if outlet is None:
            raise ValidationFailed(f"找不到网点：{outlet_code}", code="unknown_outlet")
    if outlet is None:
        raise ValidationFailed(
            "您的账号没有所属网点，请在地址后加 ?outlet=网点编码。", code="no_outlet"
        )
    authorize(staff, "guide.desk", outlet=outlet.pk)
    return staff, outlet


def issue_ticket(
    actor,
    outlet: Outlet,
    codes: list[str],
    *,
    priority: str = "",
    elderly: bool = False,
    id_number: str = "",
    applicant_name: str = "",
    phone: str = "",
    idempotency_key: str | None = None,
    request=None,
):
    """Issue a ticket at the guide desk for the chosen items.

    `elderly` (the 老年人 tick box) or an explicit `priority` makes it a priority ticket; an ID
    number whose age reaches the outlet's priority age does the same (checked by the queue).
    Green-channel-eligible items of a priority person go to the 绿色通道 queue. Items no single
    queue takes together make one ticket whose stops follow one another (S04: 帮办代办, then a
    2F window): it moves to the next queue when the first window finishes."""
    staff = authorize(staff_of(actor), "guide.desk", outlet=outlet.pk)
    codes = [c for c in dict.fromkeys(c.strip() for c in codes or []) if c]
    if not codes:
        raise ValidationFailed("请先勾选要办理的事项。", code="no_item")
    priority = (priority or "").strip()
    if priority and priority not in PRIORITIES:
        raise ValidationFailed(f"优先类别不正确：{priority}。", code="bad_priority")
    if elderly and not priority:
        priority = "老年人"
    return queue_services.issue_ticket(
        outlet,
        codes,
        priority=priority,
        channel="guide",
        actor=staff,
        applicant_name=applicant_name,
        id_number=id_number,
        phone=phone,
        idempotency_key=idempotency_key,
        request=request,
        several_queues=True,  # items of different queues: one ticket, one visit (S04)
    )


def check_in_arrival(actor, outlet: Outlet, code: str, *, request=None):
    """A person with a booking (预约编号) or a remote ticket (凭条编号) arrives at the desk: check
    them in through the queue (a booking becomes a ticket; a remote ticket becomes callable).
    Returns the ticket."""
    from yimen.core.errors import NotFound
    from yimen.queueing import selectors as queue_selectors
    from yimen.queueing.models import Appointment, Ticket

    staff = authorize(staff_of(actor), "guide.desk", outlet=outlet.pk)
    code = (code or "").strip()
    if len(code) < 12:
        raise ValidationFailed("请输入完整的预约编号或远程取号凭条编号。", code="code_required")
    appt = Appointment.objects.filter(public_id=code).select_related("outlet").first()
    if appt is not None:
        if appt.outlet_id != outlet.pk:
            raise ValidationFailed(f"该预约在{appt.outlet.name}，不在本网点。", code="other_outlet")
        return queue_services.check_in(appt, actor=staff, request=request)
    ticket = Ticket.objects.filter(public_id=code).select_related("outlet").first()
    if ticket is None:
        raise NotFound("找不到该预约或远程号，请核对编号。", code="not_found")
    if ticket.outlet_id != outlet.pk:
        raise ValidationFailed(f"该号属于{ticket.outlet.name}，不在本网点。", code="other_outlet")
    return queue_selectors.get_ticket(
        queue_services.check_in_remote(ticket, actor=staff, request=request)
    )


def bundle_ticket_codes(outlet: Outlet, bundle_code: str) -> list[str]:
    """The items a guide-desk ticket for a 一件事 carries: all of them when one queue takes them
    all; otherwise the lead item, whose window then takes the whole bundle (一窗受理: the window
    intake proposes the bundle for a ticket holding one of its items)."""
    from yimen.catalog import bundles as catalog_bundles
    from yimen.core.errors import DomainError
    from yimen.queueing import selectors as queue_selectors

    bundle = catalog_bundles.get_bundle(bundle_code)
    items = catalog_bundles.bundle_items(bundle)
    try:
        queue_selectors.route(outlet, items)
        return [i.code for i in items]
    except DomainError:
        return [items[0].code]
