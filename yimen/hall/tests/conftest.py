from datetime import date

import pytest

from yimen.core import clock as project_clock
from yimen.core.validators import make_resident_id

PERSON_ID = make_resident_id("630104", date(1988, 6, 1), 123, "男")
ELDER_ID = make_resident_id("630104", date(1948, 3, 2), 45, "女")


@pytest.fixture
def at_cx(demo, clock):
    """Tue 2022-03-15 10:00 at 城西区市民服务中心 (open)."""
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    from yimen.outlets.models import Outlet

    return Outlet.objects.get(code="XN-CX")


@pytest.fixture
def pair_device():
    """pair_device(client, "XN-CX", kind="kiosk", printer="") → (device, raw token); the client
    now carries the paired-device cookie."""
    from yimen.hall import devices
    from yimen.outlets.models import Outlet
    from yimen.staff.testing import make_staff

    def make(client, outlet="XN-CX", kind="kiosk", printer="", name="kiosk-1"):
        guide = make_staff("guide", outlet=outlet, password=None)
        device, value = devices.pair(guide, Outlet.objects.get(code=outlet), kind, name, printer)
        if client is not None:
            client.cookies[devices.COOKIE] = value
        return device, devices.token_of(value)

    return make
