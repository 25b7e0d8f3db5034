"""The one scope policy: who may see and do what, on which outlet, district (区划), department and
window. Services, selectors, pages and the API all ask here; nothing else decides scope.

Actions are registered by each app in its `permissions.py` (imported by its AppConfig.ready):

    from yimen.staff.authz import Rule, register, register_scope
    register({"queue.call": Rule({CLERK}, label="叫号与办理")})
    register_scope("queueing.Ticket", outlet="outlet", view="queue.view")

The scope of a principal follows from the role (see docs/staff.md for the matrix):
- 管理员 admin: everything;
- 区领导 leader: the outlets whose 区划 (region_code) starts with the leader's region_code;
- 引导员 / 窗口人员 / 科长 / 中心主任: their own outlet;
- 审批人员 approver: their own department;
- window-bound actions (`Rule(window=True)` or `authorize(..., window=w)`): only at the window the
  clerk is signed in to (an open WindowSession).

Reads: `visible_to(actor, queryset)` filters any registered model's queryset to the principal's
scope (and to nothing when the role may not read that model at all). Writes and object reads:
`authorize(actor, action, obj)` derives the object's outlet / region / department through the same
registry. A scoped rule with no scope information FAILS CLOSED (ScopeMissing, 403) — it never
passes silently. The old keywords (outlet=, department=, region_code=) still work.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from yimen.core.errors import Forbidden, Unauthorized

from .models import ADMIN, APPROVER, LEADER, ROLE_LABELS

ALL, REGION, OUTLET, DEPARTMENT, NOTHING = "all", "region", "outlet", "department", "nothing"


class _System:
    """The system itself (scheduled jobs, management commands): sees everything. Pass it
    explicitly; a missing actor is never treated as the system."""

    def __repr__(self):
        return "SYSTEM"


SYSTEM = _System()


class ScopeMissing(Forbidden):
    """A scoped action was asked about without anything to scope it by: refused (fail closed)."""

    code = "scope_missing"


@dataclass(frozen=True)
class Rule:
    roles: frozenset | set
    scope: str = (
        "outlet"  # "outlet" (the role's own scope), "department" (always by department), "any"
    )
    label: str = ""
    window: bool = False  # window-bound: only at the window the clerk is signed in to

    @property
    def district_roles(self) -> frozenset:
        """Roles of this rule whose scope is a district (region checks need the database)."""
        return frozenset(self.roles) & {LEADER}


ACTIONS: dict[str, Rule] = {}


def register(rules: dict[str, Rule]) -> None:
    for name, rule in rules.items():
        if rule.scope not in ("outlet", "department", "district", "any"):
            raise ValueError(f"{name}: unknown scope {rule.scope!r}")
        ACTIONS[name] = Rule(frozenset(rule.roles), rule.scope, rule.label or name, rule.window)


# --- how each model reaches outlet / region / department ------------------------------------------


@dataclass(frozen=True)
class ModelScope:
    outlet: str | None  # path to the outlet ("" = the object is the outlet)
    department: str | None = None
    view: str | None = None  # the action that reads this model (None: scope only)
    # per role, an extra filter on what that role sees (e.g. approvers: accepted cases only)
    limit: dict = field(default_factory=dict)


SCOPES: dict[str, ModelScope] = {}


def register_scope(
    label: str,
    *,
    outlet: str | None,
    department: str | None = None,
    view: str | None = None,
    limit: dict | None = None,
) -> None:
    """How a model ("app_label.Model") reaches its outlet (and department)."""
    SCOPES[label.lower()] = ModelScope(outlet, department, view, dict(limit or {}))


def scope_spec(model) -> ModelScope:
    spec = SCOPES.get(model._meta.label_lower)
    if spec is None:
        raise LookupError(
            f"{model._meta.label} has no registered scope: add register_scope() to its "
            f"app's permissions.py (an unregistered model is never shown unfiltered)"
        )
    return spec


def _path(prefix: str | None, suffix: str) -> str | None:
    if prefix is None:
        return None
    return f"{prefix}__{suffix}" if prefix else suffix


# --- the principal --------------------------------------------------------------------------------


def staff_of(actor):
    """Accept a Staff, a User (with .staff), an API principal (with .staff) or None."""
    from .models import Staff

    if actor is None or isinstance(actor, Staff):
        return actor
    staff = getattr(actor, "staff", None)
    return staff if isinstance(staff, Staff) else None


def scope_of(actor, rule: Rule | None = None) -> tuple[str, object]:
    """(kind, value) of a principal's scope: (ALL, None), (REGION, "630104"), (OUTLET, outlet_id),
    (DEPARTMENT, department_id) or (NOTHING, None)."""
    staff = staff_of(actor)
    if staff is None or not staff.active or not staff.user.is_active:
        return NOTHING, None
    if staff.role == ADMIN:
        return ALL, None
    if (rule is not None and rule.scope == "department") or staff.role == APPROVER:
        return (DEPARTMENT, staff.department_id) if staff.department_id else (NOTHING, None)
    if staff.role == LEADER:
        return (REGION, staff.region_code) if staff.region_code else (NOTHING, None)
    return (OUTLET, staff.outlet_id) if staff.outlet_id else (NOTHING, None)


STAFF_ONLY = "请先以工作人员身份登录。"


def _active_staff(actor, message: str = STAFF_ONLY):
    staff = staff_of(actor)
    if staff is None or not staff.active or not staff.user.is_active:
        raise Unauthorized(message, code="staff_only")
    return staff


def request_staff(request, message: str = STAFF_ONLY):
    """The active staff member behind a page request (the session's user) or an API request (its
    principal: a staff token, not a device token). Anyone else: Unauthorized — one status (401,
    code "staff_only") for pages and the API alike; what a staff member may then do is
    `authorize`'s 403."""
    principal = getattr(request, "principal", None)
    return _active_staff(principal if principal is not None else request.user, message)


def _rule(action: str) -> Rule:
    rule = ACTIONS.get(action)
    if rule is None:
        raise KeyError(f"unknown action {action!r}: register it in the app's permissions.py")
    return rule


def _role_allowed(staff, rule: Rule, action: str) -> None:
    if staff.role not in rule.roles and staff.role != ADMIN:
        raise Forbidden(
            f"{ROLE_LABELS.get(staff.role, staff.role)}无权执行「{rule.label or action}」。"
        )


# --- reads ------------------------------------------------------------------------------------------


def visible_to(actor, queryset, action: str | None = None):
    """`queryset` limited to what `actor` may see: the model's registered view action decides
    whether the role reads it at all (or `action`), the principal's scope which rows."""
    spec = scope_spec(queryset.model)
    if actor is SYSTEM:
        return queryset
    staff = staff_of(actor)
    if staff is None or not staff.active or not staff.user.is_active:
        return queryset.none()
    rule = None
    action = action or spec.view
    if action:
        rule = _rule(action)
        if staff.role not in rule.roles and staff.role != ADMIN:
            return queryset.none()
    kind, value = scope_of(staff, rule)
    if kind == ALL:
        return queryset
    q = _scope_q(spec, kind, value)
    if q is None:
        return queryset.none()
    qs = queryset.filter(q)
    extra = spec.limit.get(staff.role)
    return qs.filter(extra) if extra is not None else qs


def _scope_q(spec: ModelScope, kind: str, value) -> Q | None:
    if kind == OUTLET and spec.outlet is not None:
        return Q(**{_path(spec.outlet, "id") if spec.outlet else "pk": value})
    if kind == REGION and spec.outlet is not None:
        return Q(**{_path(spec.outlet, "region_code__startswith"): value})
    if kind == DEPARTMENT and spec.department is not None:
        return Q(**{_path(spec.department, "id"): value})
    return None


def can_see(actor, obj, action: str | None = None) -> bool:
    """Whether `obj` is among what `actor` may see (exactly the rows visible_to lists)."""
    if obj is None or obj.pk is None:
        return False
    return visible_to(actor, type(obj)._default_manager.filter(pk=obj.pk), action).exists()


def get_visible(actor, queryset, message: str = "找不到该记录。", **lookup):
    """One object by `lookup` if `actor` may see it. NotFound otherwise (whether it does not exist
    or is outside the scope: the answer does not tell which)."""
    from django.core.exceptions import ValidationError

    from yimen.core.errors import NotFound

    try:
        obj = visible_to(actor, queryset).filter(**lookup).first()
    except (ValueError, TypeError, ValidationError):
        # a posted or typed lookup value of the wrong type ("abc" for an id): it matches nothing —
        # the same 404, never a 500 (every page that finds an object through here is covered)
        obj = None
    if obj is None:
        raise NotFound(message)
    return obj


# --- writes and object checks ---------------------------------------------------------------------


def check(actor, action: str, obj=None, **scope) -> bool:
    try:
        authorize(actor, action, obj, **scope)
        return True
    except (Forbidden, Unauthorized):
        return False


def authorize_role(actor, action: str):
    """The role may perform `action` somewhere (menus, and pages that then list through
    visible_to). Not a scope check: never use it to act on an object."""
    staff = _active_staff(actor)
    _role_allowed(staff, _rule(action), action)
    return staff


def check_role(actor, action: str) -> bool:
    try:
        authorize_role(actor, action)
        return True
    except (Forbidden, Unauthorized):
        return False


def authorize(
    actor,
    action: str,
    obj=None,
    *,
    outlet=None,
    department=None,
    region_code: str | None = None,
    window=None,
):
    """Raise unless `actor` may perform `action` on `obj` (or on the scope given by the keywords).
    Returns the Staff. Scoped rules without scope information raise ScopeMissing."""
    rule = _rule(action)
    staff = _active_staff(actor)
    _role_allowed(staff, rule, action)
    if rule.window or window is not None:
        _check_window(staff, window, rule)
    if staff.role == ADMIN or rule.scope == "any":
        return staff
    facts = _facts(
        obj, outlet=outlet, department=department, region_code=region_code, window=window
    )
    kind, value = scope_of(staff, rule)
    if kind == NOTHING:
        raise Forbidden("您的账号没有配置所属网点、部门或辖区，不能执行此操作。")
    if kind == DEPARTMENT:
        if facts.get("department") is None:
            raise ScopeMissing("无法确定该对象所属部门，已拒绝。")
        if facts["department"] != value:
            raise Forbidden("只能处理本部门的事项。")
    elif kind == REGION:
        region = _region_of(facts)
        if region is None:
            raise ScopeMissing("无法确定该对象所属区划，已拒绝。")
        if not str(region).startswith(value):
            raise Forbidden("只能查看本人所辖区域。")
    else:
        if facts.get("outlet") is None:
            raise ScopeMissing("无法确定该对象所属网点，已拒绝。")
        if facts["outlet"] != value:
            raise Forbidden("只能在本人所属网点办理此操作。")
    return staff


def _check_window(staff, window, rule: Rule) -> None:
    """Window-bound: the member of staff must be signed in (open WindowSession) at exactly this
    window — whatever the role, the admin included."""
    from .models import WindowSession

    if window is None:
        raise ScopeMissing("无法确定办理窗口，已拒绝。")
    window_id = getattr(window, "pk", window)
    if not WindowSession.objects.filter(
        staff=staff, window_id=window_id, ended_at__isnull=True
    ).exists():
        raise Forbidden("只能在本人已签到的窗口办理此操作。", code="not_your_window")


def _id(value):
    return getattr(value, "pk", value)


def _facts(obj, *, outlet, department, region_code, window) -> dict:
    """outlet id / department id / region code of the object (via the registry) and the keywords."""
    facts: dict = {}
    if obj is not None:
        spec = scope_spec(type(obj))
        if spec.outlet is not None:
            if spec.outlet == "":
                facts["outlet"], facts["outlet_obj"] = obj.pk, obj
            else:
                target = _follow(obj, spec.outlet)
                facts["outlet"], facts["outlet_obj"] = _id(target), target
        if spec.department is not None:
            facts["department"] = _id(_follow(obj, spec.department))
    if outlet is not None:
        facts["outlet"], facts["outlet_obj"] = _id(outlet), outlet
    if department is not None:
        facts["department"] = _id(department)
    if region_code is not None:
        facts["region"] = str(region_code)
    if facts.get("outlet") is None and window is not None:
        from yimen.outlets.models import Window

        w = window if hasattr(window, "outlet_id") else Window.objects.filter(pk=window).first()
        if w is not None:
            facts["outlet"], facts["outlet_obj"] = w.outlet_id, None
    return facts


def _follow(obj, path: str):
    """obj.a.b for path "a__b"; the last hop as an id when the model has it (no extra query)."""
    parts = path.split("__")
    for part in parts[:-1]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    last = parts[-1]
    if hasattr(obj, f"{last}_id"):
        cached = obj._state.fields_cache.get(last) if hasattr(obj, "_state") else None
        return cached if cached is not None else getattr(obj, f"{last}_id")
    return getattr(obj, last, None)


def _region_of(facts: dict):
    if facts.get("region") is not None:
        return facts["region"]
    outlet = facts.get("outlet_obj")
    code = getattr(outlet, "region_code", None)
    if code is None and facts.get("outlet") is not None:
        from yimen.outlets.models import Outlet

        code = (
            Outlet.objects.filter(pk=facts["outlet"]).values_list("region_code", flat=True).first()
        )
    return code


def allowed_actions(actor) -> list[str]:
    """Actions this member of staff may perform somewhere (for menus; services still check)."""
    staff = staff_of(actor)
    if staff is None:
        return []
    return sorted(
        name for name, rule in ACTIONS.items() if staff.role == ADMIN or staff.role in rule.roles
    )
