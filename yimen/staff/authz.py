"""Who may do what, where. Permission checks live in services (not views), so the admin, the
pages and the API cannot bypass them.

Each app registers its actions in its own `permissions.py` (imported by its AppConfig.ready):

    from yimen.staff.authz import Rule, register
    register({"queue.call": Rule({CLERK}, scope="outlet")})

Scopes: "any" (no scope), "outlet" (the staff's outlet must be the object's outlet),
"department" (the staff's department must be the object's department), "district" (region).
Roles listed in `oversee` pass any scope check of that kind (e.g. 中心主任 over his outlet).
"""
from dataclasses import dataclass, field

from yimen.core.errors import Forbidden, Unauthorized

from .models import ADMIN, ROLE_LABELS


@dataclass(frozen=True)
class Rule:
    roles: frozenset | set
    scope: str = "outlet"
    label: str = ""
    unscoped_roles: frozenset | set = field(default_factory=frozenset)  # roles that skip the scope check
    # roles whose "outlet" scope is their district: they pass when the outlet lies in their region
    district_roles: frozenset | set = field(default_factory=frozenset)


ACTIONS: dict[str, Rule] = {}


def register(rules: dict[str, Rule]) -> None:
    for name, rule in rules.items():
        ACTIONS[name] = Rule(frozenset(rule.roles), rule.scope, rule.label or name, frozenset(rule.unscoped_roles),
                             frozenset(rule.district_roles))


def staff_of(actor):
    """Accept a Staff, a User (with .staff) or None."""
    if actor is None:
        return None
    if hasattr(actor, "role") and hasattr(actor, "user_id"):
        return actor
    return getattr(actor, "staff", None)


def check(actor, action: str, *, outlet=None, department=None, region_code: str | None = None) -> bool:
    try:
        authorize(actor, action, outlet=outlet, department=department, region_code=region_code)
        return True
    except (Forbidden, Unauthorized):
        return False


def authorize(actor, action: str, *, outlet=None, department=None, region_code: str | None = None):
    """Raise Forbidden unless `actor` may perform `action` on an object in this scope."""
    rule = ACTIONS.get(action)
    if rule is None:
        raise KeyError(f"unknown action {action!r}: register it in the app's permissions.py")
    staff = staff_of(actor)
    if staff is None or not staff.active or not staff.user.is_active:
        raise Unauthorized("请先以工作人员身份登录。")
    if staff.role not in rule.roles and staff.role != ADMIN:
        raise Forbidden(f"{ROLE_LABELS.get(staff.role, staff.role)}无权执行「{rule.label}」。")
    if staff.role == ADMIN or staff.role in rule.unscoped_roles or rule.scope == "any":
        return staff
    if rule.scope == "outlet" and outlet is not None and staff.role in rule.district_roles:
        if not _in_region(outlet, staff.region_code):
            raise Forbidden("只能查看本人所辖区域。")
    elif rule.scope == "outlet" and outlet is not None:
        outlet_id = getattr(outlet, "pk", outlet)
        if staff.outlet_id != outlet_id:
            raise Forbidden("只能在本人所属网点办理此操作。")
    elif rule.scope == "department" and department is not None:
        department_id = getattr(department, "pk", department)
        if staff.department_id != department_id:
            raise Forbidden("只能处理本部门的事项。")
    elif rule.scope == "district" and region_code is not None:
        if not staff.region_code or not str(region_code).startswith(staff.region_code):
            raise Forbidden("只能查看本人所辖区域。")
    return staff


def _in_region(outlet, region_code: str) -> bool:
    if not region_code:
        return False
    code = getattr(outlet, "region_code", None)
    if code is None:
        from yimen.outlets.models import Outlet

        code = Outlet.objects.filter(pk=outlet).values_list("region_code", flat=True).first() or ""
    return str(code).startswith(region_code)


def allowed_actions(actor) -> list[str]:
    """Actions this member of staff may perform somewhere (for menus; services still check)."""
    staff = staff_of(actor)
    if staff is None:
        return []
    return sorted(name for name, rule in ACTIONS.items() if staff.role == ADMIN or staff.role in rule.roles)
