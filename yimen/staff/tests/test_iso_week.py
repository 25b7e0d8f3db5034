"""ISO week parameters (F5): `?week=` of the rota page, its Excel export and the change form's
return address are parsed in one place (core.validators.parse_iso_week): any text that is not a
week inside the sane date window is a Chinese 400, never a 500."""

from datetime import date

import pytest

from yimen.core.errors import ValidationFailed
from yimen.core.validators import parse_iso_week
from yimen.staff.models import Staff

pytestmark = pytest.mark.django_db

BAD_WEEKS = [
    "2026-W99",
    "2026-W00",
    "9999-W52",  # Monday exists; the page's next week does not
    "0001-W01",  # its previous week does not
    "1-W1",
    "garbage",
    "2026-W",
    "-W",
    "2026-W-1",
    "２０２６-W49",
    "2026-W4²",
    "2026-W49-W1",
    "2026-W49\x00",
    "9" * 5000 + "-W1",
]


def chief(client):
    client.force_login(Staff.objects.get(user__username="cx_chief_zh").user)


@pytest.mark.parametrize("week", BAD_WEEKS)
def test_rota_page_and_export_answer_400_for_a_bad_week(client, demo, week):
    chief(client)
    for url in ("/staff/rota/XN-CX/", "/staff/rota/XN-CX/export.xlsx"):
        r = client.get(url, {"week": week})
        assert r.status_code == 400, (url, week, r.status_code)
        assert "周次" in r.content.decode() or "\x00" in week  # NUL: refused at the boundary


def test_rota_change_returns_to_a_clean_week_address(client, demo):
    chief(client)
    for week, expected in (
        ("2026-W49", "/staff/rota/XN-CX/?week=2026-W49"),
        ("x\r\nSet-Cookie: a=b", "/staff/rota/XN-CX/"),
        ("9999-W52", "/staff/rota/XN-CX/"),
    ):
        r = client.post("/staff/rota/XN-CX/change/", {"week": week, "op": "nothing"})
        assert r.status_code == 302 and r["Location"] == expected, (week, r.status_code)


def test_parse_iso_week_in_one_place(clock):
    clock.freeze(clock.at(2026, 12, 2, 10, 0))
    assert parse_iso_week("2026-W49") == date(2026, 11, 30)
    assert parse_iso_week("2026-w49") == date(2026, 11, 30)
    assert parse_iso_week("") == date(2026, 11, 30)  # this week
    for bad in BAD_WEEKS:
        with pytest.raises(ValidationFailed) as err:
            parse_iso_week(bad)
        assert err.value.code == "invalid_week" and "周次" in err.value.message
