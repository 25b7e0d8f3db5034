"""The online outlet (网上办事大厅) that online applications belong to: its receipt numbers, its
comprehensive back office. Approvers of each department pre-check their own items as well.
Created on the first online application (selectors.online_outlet), or by `load` for a demo."""

from __future__ import annotations

ONLINE_OUTLET = "XN-WEB"


def load(stdout=None):
    from yimen.outlets.models import Outlet

    outlet, created = Outlet.objects.get_or_create(
        code=ONLINE_OUTLET,
        defaults={
            "name": "西宁市城西区网上办事大厅",
            "kind": "online",
            "type_label": "一网通办",
            "operator": "城西区政务服务中心",
            "region_code": "630104",
            "address": "网上办理，无需到场",
            "holiday_rule": "open_on_off_days",
            # applications are taken day and night; 预审 deadlines count working days regardless
            "weekly_hours": {
                k: ["00:00-23:59"] for k in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            },
        },
    )
    clerk = _demo_clerk(outlet)
    return f"网上办事大厅：{'新建' if created else '已存在'} {outlet.code}" + (
        f"，综合受理账号 {clerk}" if clerk else ""
    )


def _demo_clerk(outlet) -> str:
    """A comprehensive back-office clerk of the online hall for the demo (`web_clerk`), with the
    same password as the other demo accounts (its hash is copied from `cx_director`)."""
    from django.contrib.auth import get_user_model

    from yimen.staff.models import CLERK, Staff

    User = get_user_model()
    if User.objects.filter(username="web_clerk").exists():
        return ""
    model = User.objects.filter(username="cx_director").first()
    if model is None:  # no demo staff loaded: nothing to copy the password from
        return ""
    user = User.objects.create(username="web_clerk", password=model.password)
    Staff.objects.create(user=user, name="网办受理员", role=CLERK, outlet=outlet)
    return "web_clerk"
