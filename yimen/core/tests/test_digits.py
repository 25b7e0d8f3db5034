"""Digits from requests (F4): one helper (core.validators.is_digits / parse_id) decides what an id
or a count is — ASCII digits, bounded. str.isdigit() accepted '²' (then int() raised: a 500) and
'١'/'５' (read as digits); regexes with \\d accepted full-width digits as a mobile number."""

import asyncio
import threading
from datetime import date

import pytest
from django.test import RequestFactory

from yimen.core import clock as project_clock, validators as v
from yimen.staff.tokens import issue_token

ODD = ["²", "²³", "١٢", "５", "1²", "", " ", "-1", "+1", "1e3", "1.0", "0x1", "9" * 30]


@pytest.mark.parametrize("text", ODD)
def test_parse_id_refuses_anything_but_bounded_ascii_digits(text):
    assert v.parse_id(text) is None
    assert v.parse_id(text, 0) == 0
    assert not v.is_digits(text) or len(text) > 19


def test_parse_id_accepts_ids_and_bounds():
    assert v.parse_id("42") == 42 and v.parse_id(" 42 ") == 42 and v.parse_id(42) == 42
    assert v.parse_id("0") is None and v.parse_id("0", minimum=0) == 0
    assert v.parse_id("9", maximum=8) is None and v.parse_id(True) is None
    assert v.parse_id(str(v.MAX_ID)) == v.MAX_ID and v.parse_id(str(v.MAX_ID + 1)) is None
    assert v.is_digits("0123") and not v.is_digits("١٢٣") and not v.is_digits(None)


def test_resident_id_with_unicode_digits_is_refused_not_a_crash():
    good = v.make_resident_id("630104", date(1990, 1, 1), 123)
    for odd in ("²", "١", "５"):
        for at in (3, 15, 16, 17):
            value = good[:at] + odd + good[at + 1 :]
            assert not v.check_resident_id(value, date(2026, 1, 1)).ok


def test_mobile_is_ascii_digits_only():
    assert v.check_mobile("13800138000")
    assert not v.check_mobile("1３８00138000") and not v.check_mobile("13800138000\n1")


@pytest.mark.django_db
@pytest.mark.parametrize("odd", ["²", "١٢", "9" * 30])
def test_ticket_api_answers_4xx_for_odd_ids(client, demo, clock, odd):
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    from yimen.outlets.models import Outlet

    _token, raw = issue_token(outlet=Outlet.objects.get(code="XN-CX"))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    for method, url in (
        ("get", f"/api/tickets/{odd}"),
        ("post", f"/api/tickets/{odd}/start"),
        ("post", f"/api/tickets/{odd}/recall"),
        ("post", f"/api/windows/{odd}/call-next"),
    ):
        r = getattr(client, method)(url, **auth)
        assert 400 <= r.status_code < 500, (url, r.status_code)
        assert r.json()["code"] and r.json()["message"]


def test_board_stream_ignores_an_odd_last_event_id(demo, transactional_db):
    from yimen.queueing import views

    async def first_chunk():
        request = RequestFactory().get("/queue/board/XN-CX/events", HTTP_LAST_EVENT_ID="²")
        response = await views.board_events(request, "XN-CX")
        iterator = response.streaming_content.__aiter__()
        chunk = await asyncio.wait_for(iterator.__anext__(), timeout=10)
        await iterator.aclose()
        return chunk

    result: dict = {}

    def run():
        try:
            result["chunk"] = asyncio.run(first_chunk())
        except Exception as exc:  # the assertion below reports it
            result["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=30)
    assert "error" not in result, result.get("error")
    assert str(result["chunk"]).find("retry:") >= 0
