"""Issue 14 attacker pass over 一件事 / 告知承诺 / fees: wrong types never give a 500, amounts are
ASCII numbers, and a payment receipt is read within the payment's own scope."""

from decimal import Decimal

import pytest

from yimen.cases import services
from yimen.catalog.models import ServiceItem
from yimen.core.errors import Conflict, NotFound, ValidationFailed
from yimen.staff import authz

from .conftest import approver, clerk_at, person

pytestmark = pytest.mark.django_db


def test_promise_page_posts_with_an_id_that_is_not_a_number(demo, clock, client):
    clock.freeze(clock.at(2022, 3, 25, 9, 30))
    client.force_login(approver("XN-WS").user)
    for field, extra in (("promise", {}), ("record", {"action": "lift"})):
        for value in ("abc", "x1", "1.5", "²", "9" * 30, ""):
            r = client.post("/cases/promises/", {field: value, "result": "kept", **extra})
            assert r.status_code == 404, (field, value, r.status_code)


def test_get_visible_treats_a_badly_typed_lookup_as_not_found(demo):
    from yimen.cases.models import Promise

    admin = approver("XN-WS")
    for value in ("abc", "", None, [1], {"a": 1}):
        with pytest.raises(NotFound):
            authz.get_visible(admin, Promise.objects.all(), pk=value)


@pytest.mark.parametrize(
    "amount", ["１０", "1e2", "NaN", "Infinity", "10.001", "-5", "0x10", " ", "1,000", "100001"]
)
def test_amounts_are_plain_ascii_numbers(amount):
    with pytest.raises(ValidationFailed) as err:
        services.payments.parse_amount(amount)
    assert err.value.code == "bad_amount"


def test_good_amounts():
    assert services.payments.parse_amount(" 380 ") == Decimal("380.00")
    assert services.payments.parse_amount("12.5") == Decimal("12.50")
    assert services.payments.parse_amount(Decimal("0.01")) == Decimal("0.01")


def test_payment_receipt_is_not_for_the_back_office(demo, clock, client):
    """An approver reads the case (of their department) but not its cash receipts: the receipt
    is found through the payment's own scope (cases.Payment: outlet staff, leaders)."""
    clock.freeze(clock.at(2022, 3, 19, 10, 30))
    clerk, w = clerk_at("XN-NSH-01-ZC")
    item = ServiceItem.objects.get(code="XN-YB-002")
    case = services.open_case(clerk, item=item, outlet=w.outlet, window=w, applicant=person())
    pay = services.payments.take_payment(clerk, case, amount="380", method="cash", window=w)
    url = f"/cases/{case.pk}/payments/{pay.pk}.pdf"
    dept = item.department.code
    client.force_login(approver(dept).user)
    from yimen.cases.models import Case

    # accepted: the approver now reads the case
    Case.objects.filter(pk=case.pk).update(status="accepted", accepted_at=clock.now())
    page = client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    assert pay.number not in page.content.decode()  # the case page lists no receipt either
    assert client.get(url).status_code == 404
    client.force_login(clerk.user)
    assert pay.number in client.get(f"/cases/{case.pk}/").content.decode()
    r = client.get(url)
    assert r.status_code == 200 and b"".join(r).startswith(b"%PDF")


def test_a_double_click_on_pay_charges_once(demo, clock, client):
    """Two POSTs of the same 收费 form: one payment (the card is charged once), a clear 409
    message for the second; a second payment of the same amount later is the clerk's choice."""
    clock.freeze(clock.at(2022, 3, 19, 10, 30))
    clerk, w = clerk_at("XN-NSH-01-ZC")
    item = ServiceItem.objects.get(code="XN-YB-002")
    case = services.open_case(clerk, item=item, outlet=w.outlet, window=w, applicant=person())
    client.force_login(clerk.user)
    for _ in range(2):
        r = client.post(f"/cases/{case.pk}/pay/", {"amount": "380", "method": "cash"})
        assert r.status_code == 302
    assert case.payments.count() == 1
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "为防重复收费本次未收" in page
    with pytest.raises(Conflict) as err:
        services.payments.take_payment(clerk, case, amount="380.00", method="现金", window=w)
    assert err.value.code == "duplicate_payment" and err.value.status == 409
    clock.travel(seconds=services.payments.REPEAT_SECONDS + 1)
    services.payments.take_payment(clerk, case, amount="380", method="cash", window=w)
    assert case.payments.count() == 2


@pytest.mark.slow
def test_concurrent_pay_submits_charge_once(transactional_db, demo, clock):
    """Four 收费 submits at once (real threads and transactions): the case row lock serialises
    them, one payment is taken and the others are refused as repeats."""
    import threading

    from django.db import connection

    clock.freeze(clock.at(2022, 3, 19, 10, 30))
    clerk, w = clerk_at("XN-NSH-01-ZC")
    item = ServiceItem.objects.get(code="XN-YB-002")
    case = services.open_case(clerk, item=item, outlet=w.outlet, window=w, applicant=person())
    taken, refused, errors = [], [], []
    barrier = threading.Barrier(4)

    def pay():
        try:
            barrier.wait(timeout=20)
            taken.append(
                services.payments.take_payment(clerk, case, amount="380", method="cash", window=w)
            )
        except Conflict as exc:
            refused.append(exc.code)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(taken) == 1 and refused == ["duplicate_payment"] * 3
    assert case.payments.count() == 1
