"""The authorisation matrix (issue 14 §1) extended to the object types merged after it: 一件事
applications, payments (缴费凭证), 告知承诺 (承诺书), cash closes (现金日结), staff notices (the
bell) and 主动服务 yearly reminders —

    every role × every new object type × own outlet / other outlet of the district / other
    district × API (where the object has one: the notices) and web.

Same world and policy table as test_scope_matrix.py (docs/staff.md). Detail objects (a bundle
page, a PDF) are refused with 403/404; list pages show only what is in scope, so "denied" there
means the object is absent from the page. Anonymous callers get 401 JSON from the API and the
login page on the web."""

import itertools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from yimen.staff.models import ADMIN, APPROVER, CHIEF, CLERK, DIRECTOR, GUIDE, LEADER

from .test_scope_matrix import ANONYMOUS, DEPARTMENT, ITEM, PLACES, ROLES, SCOPE

STAFF_ROLES = [r for r in ROLES if r != ANONYMOUS]

# which roles read each new object type (admin reads everything, anonymous nothing); the scope
# of each role is SCOPE (approvers: their department's objects, here only at home)
READERS = {
    "bundle": {CLERK, CHIEF, DIRECTOR, LEADER},  # the application spans departments
    "payment": {CLERK, CHIEF, DIRECTOR, LEADER},  # the window's money: not the back office
    "promise": {CLERK, CHIEF, DIRECTOR, APPROVER, LEADER},  # approvers verify their department's
    "cashclose": {CLERK, CHIEF, DIRECTOR, LEADER},
    "notice": {GUIDE, CLERK, APPROVER, CHIEF, DIRECTOR, LEADER},  # own notices only
    "reminder": {GUIDE, CLERK, CHIEF, DIRECTOR},
}
OBJECTS = list(READERS)
LISTS = {"cashclose", "notice", "reminder"}  # shown on list pages (absent = denied)
API_OBJECTS = {"notice"}  # the others have pages only


def allowed(role: str, obj: str, place: str) -> bool:
    if role == ANONYMOUS:
        return False
    return (role == ADMIN or role in READERS[obj]) and place in SCOPE[role]


@dataclass
class Place:
    n: int
    outlet: object
    case: object
    bundle: object
    payment: object
    promise: object
    cashclose: object
    reminder_name: str
    notices: dict  # role -> the notice addressed to that role's person, about this place


SURNAMES = ["欧", "诸", "闻"]  # a masked name on the reminders page: 欧* / 诸* / 闻*


def _place(n: int, where: str, people: dict) -> Place:
    from yimen.cases import rules as case_rules
    from yimen.cases.models import (
        BundleApplication,
        Case,
        CaseMaterial,
        CashClose,
        Payment,
        Promise,
    )
    from yimen.catalog.models import Bundle, Department, ServiceItem
    from yimen.core import clock
    from yimen.outlets.models import QUEUE_WINDOW_KINDS, Outlet, Window
    from yimen.outreach.models import Notice, YearlyReminder
    from yimen.staff.testing import make_staff

    outlet = Outlet.objects.get(code=PLACES[where])
    department = Department.objects.get(code=DEPARTMENT[where])
    person = make_staff(CLERK, outlet=outlet, username=f"more_clerk_{n}")
    window = (
        Window.objects.filter(outlet=outlet, kind__in=QUEUE_WINDOW_KINDS).order_by("pk").first()
    )
    now = clock.now()
    case = Case.objects.create(
        receipt_number=f"{outlet.code}-MORE-{n}",
        outlet=outlet,
        item=ServiceItem.objects.get(code=ITEM[department.code]),
        status=case_rules.ACCEPTED,
        applicant_name="张三",
        opened_by=person,
        opened_at=now,
        accepted_at=now,
    )
    bundle = BundleApplication.objects.create(
        number=f"YJS-MORE-{n}",
        bundle=Bundle.objects.order_by("pk").first(),
        outlet=outlet,
        window=window,
        applicant_name="张三",
        opened_by=person,
        opened_at=now,
    )
    payment = Payment.objects.create(
        number=f"JF-MORE-{n}",
        case=case,
        outlet=outlet,
        window=window,
        amount=Decimal("12.50"),
        method="cash",
        paid_at=now,
        taken_by=person,
    )
    line = CaseMaterial.objects.create(case=case, name=f"矩阵材料{n}", state="received")
    promise = Promise.objects.create(
        case=case,
        line=line,
        number=f"CN-MORE-{n}",
        text="承诺",
        signed_by="张三",
        signed_at=now,
        department=department,
        verify_method="书面",
        verify_due=date(2026, 12, 30),
    )
    cashclose = CashClose.objects.create(
        window=window,
        day=date(2026, 12, 1),
        expected=Decimal("12.50"),
        counted=Decimal("12.50"),
        payments=1,
        note=f"矩阵日结{n}",
        closed_by=person,
        closed_at=now,
    )
    YearlyReminder.objects.create(
        outlet=outlet,
        item=case.item,
        person_name=f"{SURNAMES[n]}某",
        person_id_hash=f"matrix-{n}",
        channel="paper",
        due_date=date(2027, 12, 1),
        remind_on=date(2027, 11, 1),
        created_by=person,
        created_at=now,
    )
    notices = {
        role: Notice.objects.create(
            recipient=staff,
            outlet=outlet,
            department=department,
            kind=Notice.GRIEVANCE,
            title=f"矩阵通知{n}-{role}",
            link="/feedback/",
            dedupe_key=f"more:{n}:{role}",
            created_at=now,
        )
        for role, staff in people.items()
    }
    return Place(n, outlet, case, bundle, payment, promise, cashclose, f"{SURNAMES[n]}*", notices)


@pytest.fixture
def world(demo, clock):
    from yimen.staff.testing import make_staff
    from yimen.staff.tokens import issue_token

    clock.freeze(clock.at(2026, 12, 2, 10, 0))
    people = {
        GUIDE: make_staff(GUIDE, outlet="XN-CX", department="XN-WS"),
        CLERK: make_staff(CLERK, outlet="XN-CX", department="XN-WS"),
        CHIEF: make_staff(CHIEF, outlet="XN-CX", department="XN-WS"),
        DIRECTOR: make_staff(DIRECTOR, outlet="XN-CX"),
        APPROVER: make_staff(APPROVER, department="XN-WS", region_code="630104"),
        LEADER: make_staff(LEADER, region_code="630104"),
        ADMIN: make_staff(ADMIN),
    }
    places = {where: _place(n, where, people) for n, where in enumerate(PLACES)}
    tokens = {role: issue_token(staff=s)[1] for role, s in people.items()}
    return places, people, tokens


def web_url(obj: str, p: Place) -> str:
    return {
        "bundle": f"/cases/bundle/{p.bundle.pk}/",
        "payment": f"/cases/{p.case.pk}/payments/{p.payment.pk}.pdf",
        "promise": f"/cases/{p.case.pk}/promises/{p.promise.pk}.pdf",
        "cashclose": "/cases/cash-close/",
        "notice": "/outreach/notices/",
        "reminder": "/outreach/reminders/",
    }[obj]


def marker(obj: str, p: Place, role: str) -> str:
    return {
        "bundle": p.bundle.number,
        "cashclose": p.cashclose.note,
        "notice": p.notices[role].title if role in p.notices else "矩阵通知",
        "reminder": p.reminder_name,
    }.get(obj, "")


def check_web(client, world, role, obj, place) -> str | None:
    places, people, _tokens = world
    p = places[place]
    want = allowed(role, obj, place)
    client.logout()
    if role != ANONYMOUS:
        client.force_login(people[role].user)
    r = client.get(web_url(obj, p))
    if role == ANONYMOUS:
        ok = r.status_code == 302 and r["Location"].startswith("/staff/login/")
        return None if ok else f"want the login page, got {r.status_code}"
    body = b"".join(r) if r.streaming else r.content
    if obj in ("payment", "promise"):  # PDFs
        if want:
            ok = r.status_code == 200 and body.startswith(b"%PDF")
            return None if ok else f"want the PDF, got {r.status_code}"
        return None if r.status_code in (403, 404) else f"want 403/404, got {r.status_code}"
    page = body.decode()
    mark = marker(obj, p, role)
    if obj in LISTS:
        if want:
            if r.status_code != 200 or mark not in page:
                return f"want {mark} listed, got {r.status_code}"
            return None
        return f"{mark} is listed" if mark in page else None
    if want:
        return None if r.status_code == 200 and mark in page else f"got {r.status_code}"
    if r.status_code not in (403, 404):
        return f"want 403/404, got {r.status_code}"
    return f"a refusal shows {mark}" if mark in page else None


def check_api(client, world, role, obj, place) -> str | None:
    places, _people, tokens = world
    p = places[place]
    want = allowed(role, obj, place)
    headers = {} if role == ANONYMOUS else {"HTTP_AUTHORIZATION": f"Bearer {tokens[role]}"}
    client.logout()
    r = client.get("/api/notices", **headers)
    if role == ANONYMOUS:
        body = r.json()
        ok = r.status_code == 401 and body.get("code") and body.get("message")
        return None if ok else f"want 401 with JSON code/message, got {r.status_code}: {body}"
    if r.status_code != 200:
        return f"want 200, got {r.status_code}"
    titles = {i["title"] for i in r.json()["items"]}
    mark = marker(obj, p, role)
    if want != (mark in titles):
        return f"{mark} {'missing' if want else 'listed'}"
    return None


def test_matrix_is_complete():
    assert set(STAFF_ROLES) | {ANONYMOUS} == set(SCOPE)
    cells = [
        (r, o, pl, ch)
        for r, o, pl, ch in itertools.product(ROLES, OBJECTS, PLACES, ("api", "web"))
        if ch == "web" or o in API_OBJECTS
    ]
    assert len(cells) == 8 * 6 * 3 + 8 * 1 * 3


@pytest.mark.parametrize(
    "role,obj",
    list(itertools.product(ROLES, OBJECTS)),
    ids=[f"{r}-{o}" for r, o in itertools.product(ROLES, OBJECTS)],
)
def test_scope_matrix_more(world, client, role, obj):
    wrong = []
    for place in PLACES:
        for channel in ("api", "web") if obj in API_OBJECTS else ("web",):
            check = check_api if channel == "api" else check_web
            problem = check(client, world, role, obj, place)
            if problem:
                verdict = "allowed" if allowed(role, obj, place) else "denied"
                wrong.append(
                    f"{role} × {obj} × {place} × {channel} (should be {verdict}): {problem}"
                )
    assert not wrong, "\n".join(wrong)


def test_nobody_sees_someone_elses_notice(world, client):
    """A notice is its recipient's: not even the admin or a colleague of the same outlet reads it."""
    places, people, tokens = world
    own = places["own outlet"]
    for role in STAFF_ROLES:
        others = {r: n.title for r, n in own.notices.items() if r != role}
        r = client.get("/api/notices", HTTP_AUTHORIZATION=f"Bearer {tokens[role]}")
        titles = {i["title"] for i in r.json()["items"]}
        assert not titles & set(others.values()), (role, titles)
        # nor mark it read
        other_notice = next(n for r2, n in own.notices.items() if r2 != role)
        r = client.post(
            f"/api/notices/{other_notice.pk}/read", HTTP_AUTHORIZATION=f"Bearer {tokens[role]}"
        )
        assert r.status_code == 404 and r.json()["code"] == "notice_not_found"
        other_notice.refresh_from_db()
        assert other_notice.read_at is None
