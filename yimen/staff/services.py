"""Writes about staff and window sessions."""
from django.db import IntegrityError, transaction

from yimen.core import audit, clock
from yimen.core.errors import Conflict, Forbidden

from .models import CLERK, Staff, WindowSession


@transaction.atomic
def sign_in_window(staff: Staff, window, *, request=None) -> WindowSession:
    """A clerk signs in to a window (one clerk per window, one window per clerk)."""
    if staff.role != CLERK and staff.role != "admin":
        raise Forbidden("只有窗口人员可以签到窗口。")
    if staff.outlet_id != window.outlet_id and staff.role != "admin":
        raise Forbidden("只能签到本人所属网点的窗口。")
    taken = WindowSession.objects.select_for_update().filter(window=window, ended_at__isnull=True).first()
    if taken and taken.staff_id != staff.pk:
        raise Conflict(f"{window.number}号窗口已由{taken.staff.name}签到。", code="window_taken")
    if taken:
        return taken
    mine = WindowSession.objects.filter(staff=staff, ended_at__isnull=True).first()
    if mine:
        raise Conflict(f"您已在{mine.window.number}号窗口签到，请先签退。", code="already_signed_in")
    try:
        with transaction.atomic():
            session = WindowSession.objects.create(window=window, staff=staff, started_at=clock.now())
    except IntegrityError:
        raise Conflict(f"{window.number}号窗口刚被他人签到。", code="window_taken")
    audit.record(staff, "window.sign_in", session, after={"window": window.code}, request=request)
    return session
