"""Issue 14 §5: one limit guards every public progress lookup — /api/case-progress,
/cases/progress/, /portal/progress/, /portal/rate/ — through cases.services.lookup_progress,
keyed per client address (and address + receipt), never on the receipt alone."""

import pytest
from django.test import Client

from yimen.cases import selectors, services

CITIZEN, STRANGER, PROXY = "198.51.100.30", "203.0.113.66", "10.0.0.2"


def ask(entry, client, receipt, secret):
    """One lookup through the named entry point; returns the HTTP status (302 = rating form)."""
    if entry == "api":
        return client.post(
            "/api/case-progress",
            {"receipt_number": receipt, "secret": secret},
            content_type="application/json",
        ).status_code
    if entry == "cases":
        return client.post(
            "/cases/progress/", {"receipt_number": receipt, "secret": secret}
        ).status_code
    if entry == "portal":
        return client.post("/portal/progress/", {"receipt": receipt, "secret": secret}).status_code
    return client.post("/portal/rate/", {"receipt": receipt, "secret": secret}).status_code


OK = {"api": 200, "cases": 200, "portal": 200, "rate": 302}
ENTRIES = list(OK)


@pytest.fixture
def case(at_centre, helpers):
    return helpers["accepted_case"](at_centre)


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_stranger_cannot_lock_the_citizen_out(case, helpers, entry):
    stranger = Client(REMOTE_ADDR=STRANGER)
    for _ in range(selectors.PROGRESS_MAX_FAILS_PER_RECEIPT + 2):
        ask(entry, stranger, case.receipt_number, "0000")
    assert (
        ask(entry, stranger, case.receipt_number, helpers["PERSON_ID"][-4:]) == 429
    )  # the stranger is stopped
    citizen = Client(REMOTE_ADDR=CITIZEN)
    for other in ENTRIES:  # … the citizen, from their own address, is answered everywhere
        assert ask(other, citizen, case.receipt_number, helpers["PERSON_ID"][-4:]) == OK[other], (
            other
        )


@pytest.mark.parametrize("entry", ENTRIES)
def test_every_entry_point_shares_one_limit(case, helpers, entry):
    """Failures through one page lock the same address + receipt on all the others (the portal
    pages used to have no limit at all and answered for a receipt the other page had locked)."""
    client = Client(REMOTE_ADDR=STRANGER)
    others = [e for e in ENTRIES if e != entry]
    for i in range(selectors.PROGRESS_MAX_FAILS_PER_RECEIPT):
        assert ask(others[i % len(others)], client, case.receipt_number, "0000") in (404, 200)
    assert ask(entry, client, case.receipt_number, helpers["PERSON_ID"][-4:]) == 429


def test_portal_pages_count_toward_the_per_address_budget(case, helpers):
    client = Client(REMOTE_ADDR=STRANGER)
    for i in range(selectors.PROGRESS_MAX_PER_IP):
        ask(ENTRIES[i % 4], client, case.receipt_number, helpers["PERSON_ID"][-4:])
    for entry in ENTRIES:
        assert ask(entry, client, case.receipt_number, helpers["PERSON_ID"][-4:]) == 429
    r = client.post(
        "/portal/progress/", {"receipt": case.receipt_number, "secret": helpers["PERSON_ID"][-4:]}
    )
    assert "频繁" in r.content.decode()


def test_guessing_across_receipts_runs_out_of_the_address_budget(case, helpers, clock):
    client = Client(REMOTE_ADDR=STRANGER)
    for i in range(selectors.PROGRESS_MAX_FAILS_PER_IP):
        assert ask("api", client, f"XN-CX-20220315-{9000 + i}", "0000") == 404
    assert ask("portal", client, case.receipt_number, helpers["PERSON_ID"][-4:]) == 429
    assert (
        ask("portal", Client(REMOTE_ADDR=CITIZEN), case.receipt_number, helpers["PERSON_ID"][-4:])
        == 200
    )
    clock.travel(hours=1, minutes=1)
    assert ask("portal", client, case.receipt_number, helpers["PERSON_ID"][-4:]) == 200


def test_ipv6_neighbours_share_a_budget_and_forged_headers_change_nothing(case, helpers, settings):
    for i in range(selectors.PROGRESS_MAX_FAILS_PER_RECEIPT):  # one host rotating through its /64
        ask("api", Client(REMOTE_ADDR=f"2001:db8:1:2::{i + 1:x}"), case.receipt_number, "0000")
    assert (
        ask(
            "api",
            Client(REMOTE_ADDR="2001:db8:1:2::ffff"),
            case.receipt_number,
            helpers["PERSON_ID"][-4:],
        )
        == 429
    )
    assert (
        ask(
            "api",
            Client(REMOTE_ADDR="2001:db8:1:3::1"),
            case.receipt_number,
            helpers["PERSON_ID"][-4:],
        )
        == 200
    )
    # without a trusted proxy, a forged X-Forwarded-For neither escapes the limit …
    client = Client(REMOTE_ADDR=STRANGER)
    for i in range(selectors.PROGRESS_MAX_FAILS_PER_RECEIPT):
        ask(
            "portal",
            Client(REMOTE_ADDR=STRANGER, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}"),
            case.receipt_number,
            "0000",
        )
    assert ask("portal", client, case.receipt_number, helpers["PERSON_ID"][-4:]) == 429
    # … nor, naming the citizen's address, spends the citizen's budget
    assert (
        ask("portal", Client(REMOTE_ADDR=CITIZEN), case.receipt_number, helpers["PERSON_ID"][-4:])
        == 200
    )
    # behind the configured proxy, each client is counted on its own
    settings.YIMEN_TRUSTED_PROXIES = [PROXY]
    via = lambda who: Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=who)  # noqa: E731
    for _ in range(selectors.PROGRESS_MAX_FAILS_PER_RECEIPT):
        ask("cases", via("192.0.2.50"), case.receipt_number, "0000")
    assert ask("cases", via("192.0.2.50"), case.receipt_number, helpers["PERSON_ID"][-4:]) == 429
    assert ask("cases", via("192.0.2.51"), case.receipt_number, helpers["PERSON_ID"][-4:]) == 200


def test_service_is_keyed_by_address_never_by_receipt_alone(case, helpers):
    for _ in range(selectors.PROGRESS_MAX_FAILS_PER_RECEIPT):
        assert services.lookup_progress(case.receipt_number, "0000", STRANGER) is None
    with pytest.raises(selectors.RateLimited):
        services.lookup_progress(case.receipt_number, helpers["PERSON_ID"][-4:], STRANGER)
    answer = services.lookup_progress(case.receipt_number, helpers["PERSON_ID"][-4:], CITIZEN)
    assert answer["receipt_number"] == case.receipt_number
