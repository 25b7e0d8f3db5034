"""The authorisation matrix: every registered action × every role × own / other scope.

The expected answer is derived independently from each Rule's definition (roles, scope,
unscoped/district roles; 管理员 everywhere), then compared with authz.check. A hand-written
table pins the answers that matter most."""

import importlib
import importlib.util

import pytest
from django.conf import settings

from yimen.catalog.models import Department
from yimen.outlets.models import Outlet
from yimen.staff import authz
from yimen.staff.models import ADMIN, APPROVER, CHIEF, CLERK, DIRECTOR, GUIDE, LEADER, ROLE_CHOICES
from yimen.staff.testing import make_staff

ROLES = [r for r, _ in ROLE_CHOICES]


def _import_all_permissions():
    for app in settings.INSTALLED_APPS:
        if app.startswith("yimen.") and importlib.util.find_spec(f"{app}.permissions") is not None:
            importlib.import_module(f"{app}.permissions")


def expected(rule: authz.Rule, role: str, own: bool) -> bool:
    if rule.window:
        return False  # window-bound: nobody here is signed in at a window
    if role == ADMIN:
        return True
    if role not in rule.roles:
        return False
    if rule.scope == "any":
        return True
    return own


@pytest.fixture
def people(demo):
    """One member of staff per role, all 'at home' in XN-CX / XN-WS / 630104."""
    return {
        role: make_staff(role, outlet="XN-CX", department="XN-WS", region_code="630104")
        for role in ROLES
    }


def scope_kwargs(rule, own: bool):
    """Every facet of an object at home (XN-CX, XN-WS, 630104) or away (XN-CD in 630102, XN-RS):
    the policy picks the one that the role's scope is about."""
    return {
        "outlet": Outlet.objects.get(code="XN-CX" if own else "XN-CD"),
        "department": Department.objects.get(code="XN-WS" if own else "XN-RS"),
    }


def test_every_action_every_role_own_and_other(people):
    _import_all_permissions()
    assert len(authz.ACTIONS) >= 12, "actions of the apps should be registered"
    mismatches, checked = [], 0
    for action, rule in sorted(authz.ACTIONS.items()):
        for role in ROLES:
            for own in (True, False):
                got = authz.check(people[role], action, **scope_kwargs(rule, own))
                want = expected(rule, role, own)
                checked += 1
                if got != want:
                    mismatches.append(
                        f"{action} × {role} × {'own' if own else 'other'}: got {got}, want {want}"
                    )
    assert not mismatches, "\n".join(mismatches)
    assert checked == len(authz.ACTIONS) * len(ROLES) * 2


IMPORTANT = [
    # (action, role, own scope?, allowed?)
    ("staff.window.sign_in", CLERK, True, True),
    ("staff.window.sign_in", CLERK, False, False),  # a clerk acts only at their outlet
    ("staff.window.sign_in", GUIDE, True, False),
    ("staff.window.sign_in", ADMIN, False, True),  # admin everywhere
    ("staff.rota.manage", CHIEF, True, True),
    ("staff.rota.manage", CHIEF, False, False),
    ("staff.rota.manage", CLERK, True, False),
    ("staff.rota.view", LEADER, True, True),  # district leader sees the district …
    ("staff.rota.view", LEADER, False, False),  # … not another district
    ("case.view", LEADER, False, False),  # 城西区's leader does not read 城东区's cases
    ("case.view", DIRECTOR, False, False),  # a director reads only his outlet's cases
    ("feedback.grievance.view", LEADER, False, False),
    ("feedback.dashboard", LEADER, False, False),
    ("queue.view", LEADER, False, False),
    ("case.view", APPROVER, True, True),  # approver: own department
    ("case.view", APPROVER, False, False),
    ("personal.reveal.department", APPROVER, True, True),  # approver only own department
    ("personal.reveal.department", APPROVER, False, False),
    ("personal.reveal", GUIDE, True, False),
    ("staff.token.manage", DIRECTOR, True, False),
    ("staff.token.manage", ADMIN, True, True),
]


@pytest.mark.parametrize("action,role,own,allowed", IMPORTANT)
def test_hand_written_expectations(people, action, role, own, allowed):
    rule = authz.ACTIONS[action]
    assert authz.check(people[role], action, **scope_kwargs(rule, own)) is allowed


def test_cross_app_expectations_when_registered(people):
    """Guide may issue tickets but not call; clerk calls at own outlet only; approver decides only
    own department's cases — checked for whichever of these the other apps have registered."""
    _import_all_permissions()
    table = [
        ("queue.issue", GUIDE, True, True),
        ("queue.call", GUIDE, True, False),
        ("queue.call", CLERK, True, True),
        ("queue.call", CLERK, False, False),
        ("cases.decide", APPROVER, True, True),
        ("cases.decide", APPROVER, False, False),
        ("feedback.grievance.handle", CHIEF, False, False),
        ("feedback.grievance.handle", CLERK, True, False),
    ]
    seen = 0
    for action, role, own, allowed in table:
        if action in authz.ACTIONS:
            seen += 1
            assert (
                authz.check(people[role], action, **scope_kwargs(authz.ACTIONS[action], own))
                is allowed
            ), action
    assert seen >= 2  # at least feedback's actions exist


def test_inactive_or_anonymous_is_refused(people):
    from yimen.core.errors import Forbidden, Unauthorized

    assert not authz.check(None, "staff.workbench")
    clerk = people[CLERK]
    clerk.active = False
    clerk.save()
    with pytest.raises(Unauthorized):
        authz.authorize(clerk, "staff.window.sign_in")
    with pytest.raises(KeyError):
        authz.authorize(people[ADMIN], "no.such.action")
    with pytest.raises(Forbidden):
        authz.authorize(people[GUIDE], "staff.window.sign_in")
