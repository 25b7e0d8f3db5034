"""The generated authorisation matrix of issue 14 §1, over real HTTP (API and web):

    every role (guide, clerk, approver, chief, director, leader, admin, anonymous)
  × every object type (ticket, case, grievance, rating, summary, hall, rota, staff)
  × where the object lies (own outlet XN-CX / another outlet of the same district XN-NSH-01 /
    another district XN-CD)
  × channel (API with a bearer token, web page with a session).

The expected answer comes from the policy table below (the one docs/staff.md states), not from
staff.authz: which roles read each object type, and which places each role's scope covers.
Allowed = 200 and the object's data in the answer; denied = 401/403/404 with JSON {"code",
"message"} in the API, 403/404 or a redirect to the login page on the web.
"""

import itertools
from dataclasses import dataclass
from datetime import date

import pytest

from yimen.staff.models import ADMIN, APPROVER, CHIEF, CLERK, DIRECTOR, GUIDE, LEADER

ANONYMOUS = "anonymous"
ROLES = [GUIDE, CLERK, APPROVER, CHIEF, DIRECTOR, LEADER, ADMIN, ANONYMOUS]
OWN, DISTRICT, OTHER = "own outlet", "other outlet, same district", "other district"
PLACES = {OWN: "XN-CX", DISTRICT: "XN-NSH-01", OTHER: "XN-CD"}  # 630104, 630104, 630102
# department of the objects at each place: the approver's own department only at home
DEPARTMENT = {OWN: "XN-WS", DISTRICT: "XN-RS", OTHER: "XN-RS"}
ITEM = {"XN-WS": "XN-WS-001", "XN-RS": "XN-RS-004"}

# --- the policy (docs/staff.md) -------------------------------------------------------------------
# which places each role's scope covers (approver: the objects of his department, here only at home)
SCOPE = {
    GUIDE: {OWN},
    CLERK: {OWN},
    CHIEF: {OWN},
    DIRECTOR: {OWN},
    APPROVER: {OWN},
    LEADER: {OWN, DISTRICT},
    ADMIN: {OWN, DISTRICT, OTHER},
    ANONYMOUS: set(),
}
STAFF_AT_OUTLET = {GUIDE, CLERK, CHIEF, DIRECTOR}
# which roles read each object type (admin reads everything; anonymous nothing)
READERS = {
    "ticket": STAFF_AT_OUTLET | {LEADER},
    "case": {CLERK, CHIEF, DIRECTOR, APPROVER, LEADER},
    "grievance": STAFF_AT_OUTLET | {LEADER},
    "rating": {CHIEF, DIRECTOR, LEADER},
    "summary": {CHIEF, DIRECTOR, LEADER},
    "summary-page": STAFF_AT_OUTLET
    | {LEADER},  # the 台账 page: grievances for all, figures for the above
    "hall": {CHIEF, DIRECTOR, LEADER},
    "rota": STAFF_AT_OUTLET | {LEADER},
    "staff": STAFF_AT_OUTLET | {APPROVER, LEADER},
}
OBJECTS = ["ticket", "case", "grievance", "rating", "summary", "hall", "rota", "staff"]


def allowed(role: str, obj: str, place: str, channel: str) -> bool:
    key = "summary-page" if (obj, channel) == ("summary", "web") else obj
    if role == ANONYMOUS:
        return False
    return (role == ADMIN or role in READERS[key]) and place in SCOPE[role]


# --- the world --------------------------------------------------------------------------------------
@dataclass
class Place:
    outlet: object
    ticket: object
    case: object
    grievance: object
    rating: object
    person: object  # a clerk working there


def _place(n: int, where: str):
    from yimen.cases import rules as case_rules
    from yimen.cases.models import Case
    from yimen.catalog.models import ServiceItem
    from yimen.core import clock
    from yimen.feedback import rules as fb_rules, services as fb
    from yimen.outlets.models import QUEUE_WINDOW_KINDS, Outlet, Window
    from yimen.queueing.models import Queue, Ticket
    from yimen.staff.testing import make_staff

    outlet = Outlet.objects.get(code=PLACES[where])
    department = DEPARTMENT[where]
    person = make_staff(CLERK, outlet=outlet, department=department, username=f"matrix_clerk_{n}")
    person.phone = f"1391234567{n}"
    person.save()
    window = (
        Window.objects.filter(outlet=outlet, kind__in=QUEUE_WINDOW_KINDS).order_by("pk").first()
    )
    now = clock.now()
    ticket = Ticket.objects.create(
        outlet=outlet,
        queue=Queue.objects.filter(outlet=outlet).order_by("pk").first(),
        service_date=clock.today(),
        seq=900 + n,
        number=f"Z{900 + n}",
        status=Ticket.DONE,
        window=window,
        served_by=person,
        issued_at=now,
        queued_at=now,
        called_at=now,
        started_at=now,
        finished_at=now,
    )
    case = Case.objects.create(
        receipt_number=f"{outlet.code}-MATRIX-{n}",
        outlet=outlet,
        item=ServiceItem.objects.get(code=ITEM[department]),
        status=case_rules.ACCEPTED,
        applicant_name="张三",
        opened_by=person,
        opened_at=now,
        accepted_at=now,
    )
    grievance = fb.submit_grievance(
        outlet=outlet,
        category=fb_rules.OTHER,
        description=f"矩阵测试反映{n}",
        phone="13800138000",
        channel="portal",
    )
    rating = fb.submit_rating(
        ticket=ticket, score=1, reasons=["attitude"], comment="态度不好", channel="qr"
    )
    return Place(outlet, ticket, case, grievance, rating, person)


@pytest.fixture
def world(demo, clock):
    from yimen.staff.testing import make_staff
    from yimen.staff.tokens import issue_token

    clock.freeze(clock.at(2026, 12, 2, 10, 0))  # a Wednesday, the centres are open
    places = {where: _place(n, where) for n, where in enumerate(PLACES)}
    people = {
        GUIDE: make_staff(GUIDE, outlet="XN-CX", department="XN-WS"),
        CLERK: make_staff(CLERK, outlet="XN-CX", department="XN-WS"),
        CHIEF: make_staff(CHIEF, outlet="XN-CX", department="XN-WS"),
        DIRECTOR: make_staff(DIRECTOR, outlet="XN-CX"),
        APPROVER: make_staff(APPROVER, department="XN-WS", region_code="630104"),
        LEADER: make_staff(LEADER, region_code="630104"),
        ADMIN: make_staff(ADMIN),
    }
    tokens = {role: issue_token(staff=s)[1] for role, s in people.items()}
    return places, people, tokens


# --- how each object is read --------------------------------------------------------------------------
def api_url(obj: str, p: Place) -> str:
    return {
        "ticket": f"/api/tickets/{p.ticket.pk}",
        "case": f"/api/cases/{p.case.pk}",
        "grievance": f"/api/feedback/grievances/{p.grievance.number}",
        "rating": f"/api/feedback/ratings/{p.rating.pk}",
        "summary": f"/api/feedback/summary?outlet={p.outlet.code}",
        "hall": f"/api/insight/hall/{p.outlet.code}",
        "rota": f"/api/staff/rota/{p.outlet.code}/staffing?day={date(2026, 12, 2)}",
        "staff": f"/api/staff/people/{p.person.user.username}",
    }[obj]


def web_url(obj: str, p: Place) -> str:
    return {
        "ticket": f"/queue/tickets/{p.ticket.pk}/",
        "case": f"/cases/{p.case.pk}/",
        "grievance": f"/feedback/grievances/{p.grievance.pk}/",
        "rating": f"/feedback/rectifications/{p.rating.rectification.pk}/",
        "summary": f"/feedback/?outlet={p.outlet.code}",
        "hall": f"/insight/hall/{p.outlet.code}/",
        "rota": f"/staff/rota/{p.outlet.code}/",
        "staff": f"/staff/people/{p.person.user.username}/",
    }[obj]


def api_data_ok(obj: str, p: Place, body: dict) -> bool:
    return {
        "ticket": lambda: body["number"] == p.ticket.number,
        "case": lambda: body["receipt_number"] == p.case.receipt_number,
        "grievance": lambda: body["number"] == p.grievance.number,
        "rating": lambda: (
            body["id"] == p.rating.pk and body["rectification"]["id"] == p.rating.rectification.pk
        ),
        "summary": lambda: (
            body["outlet"] == p.outlet.code and body["grievances"] >= 1 and body["bad"] >= 1
        ),
        "hall": lambda: body["outlet"] == p.outlet.code and body["issued_today"] >= 1,
        "rota": lambda: body["outlet"] == p.outlet.code,
        "staff": lambda: body["username"] == p.person.user.username and "*" in body["phone"],
    }[obj]()


def web_data_ok(obj: str, p: Place, page: str, role: str) -> bool:
    return {
        "ticket": lambda: p.ticket.number in page,
        "case": lambda: p.case.receipt_number in page,
        "grievance": lambda: p.grievance.number in page,
        "rating": lambda: f"差评整改 #{p.rating.rectification.pk}" in page,
        "summary": lambda: (
            p.grievance.number in page
            and (('id="bad-count"' in page) == (role == ADMIN or role in READERS["summary"]))
        ),
        "hall": lambda: p.outlet.name in page,
        "rota": lambda: p.outlet.name in page,
        "staff": lambda: p.person.user.username in page and p.person.name in page,
    }[obj]()


MATRIX = list(itertools.product(ROLES, OBJECTS, PLACES, ("api", "web")))


def test_matrix_is_complete():
    assert len(MATRIX) == 8 * 8 * 3 * 2
    # the policy table names every object type and every role
    assert set(OBJECTS) <= set(READERS) and set(ROLES) == set(SCOPE)


def check_cell(client, world, role, obj, place, channel) -> str | None:
    """None when the answer matches the policy, else what went wrong."""
    places, people, tokens = world
    p = places[place]
    want = allowed(role, obj, place, channel)
    client.logout()
    if channel == "api":
        headers = {} if role == ANONYMOUS else {"HTTP_AUTHORIZATION": f"Bearer {tokens[role]}"}
        r = client.get(api_url(obj, p), **headers)
        if want:
            if r.status_code != 200:
                return f"want 200, got {r.status_code}: {r.content[:200]!r}"
            if not api_data_ok(obj, p, r.json()):
                return f"200 without the object's data: {r.content[:300]!r}"
            return None
        if r.status_code not in (401, 403, 404):
            return f"want 401/403/404, got {r.status_code}: {r.content[:200]!r}"
        body = r.json()
        if not (isinstance(body, dict) and body.get("code") and body.get("message")):
            return f"refusal without JSON code/message: {body!r}"
        return None
    if role != ANONYMOUS:
        client.force_login(people[role].user)
    r = client.get(web_url(obj, p))
    page = r.content.decode()
    if want:
        if r.status_code != 200:
            return f"want 200, got {r.status_code}"
        return None if web_data_ok(obj, p, page, role) else "200 without the object's data"
    if role == ANONYMOUS:
        ok = r.status_code == 302 and r["Location"].startswith("/staff/login/")
        return None if ok else f"want a redirect to the login page, got {r.status_code}"
    if r.status_code not in (403, 404):
        return f"want 403/404, got {r.status_code}"
    leaked = [s for s in (p.ticket.number, p.case.receipt_number, p.grievance.number) if s in page]
    return f"a refusal shows {leaked}" if leaked else None


@pytest.mark.parametrize(
    "role,obj",
    list(itertools.product(ROLES, OBJECTS)),
    ids=[f"{r}-{o}" for r, o in itertools.product(ROLES, OBJECTS)],
)
def test_scope_matrix(world, client, role, obj):
    """One role × one object type: own outlet / same district / other district × API / web."""
    wrong = []
    for place, channel in itertools.product(PLACES, ("api", "web")):
        problem = check_cell(client, world, role, obj, place, channel)
        if problem:
            verdict = "allowed" if allowed(role, obj, place, channel) else "denied"
            wrong.append(f"{role} × {obj} × {place} × {channel} (should be {verdict}): {problem}")
    assert not wrong, "\n".join(wrong)
