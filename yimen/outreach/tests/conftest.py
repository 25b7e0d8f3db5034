import pytest

from yimen.core import clock as project_clock


@pytest.fixture
def at_cx(demo, clock):
    """Tue 2022-03-15 10:00 at 城西区市民服务中心 (open)."""
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    from yimen.outlets.models import Outlet

    return Outlet.objects.get(code="XN-CX")


@pytest.fixture
def clerk_at():
    """clerk_at("CX-ZH-203") → a clerk signed in at that window."""
    from yimen.outlets.models import Window
    from yimen.staff.services import sign_in_window
    from yimen.staff.testing import make_staff

    def make(window_code, outlet="XN-CX"):
        window = Window.objects.get(code=window_code, outlet__code=outlet)
        staff = make_staff("clerk", outlet=outlet, password=None)
        sign_in_window(staff, window)
        return staff, window

    return make


@pytest.fixture
def outbox():
    """outbox(template=None, phone=None) → the queued messages (OutboxMessage rows)."""
    from yimen.notify.selectors import messages_for

    return lambda template=None, phone=None: list(messages_for(template, phone))
