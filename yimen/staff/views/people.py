"""Staff pages for managing people: the staff lists and the weekly A/B rota (printable) with its
Excel export and changes (leave, swaps)."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from yimen.core.errors import DomainError, NotFound, ValidationFailed
from yimen.core.masking import mask_phone
from yimen.core.validators import iso_week_label, parse_id, parse_iso_week

from .. import exports, selectors, services
from ..authz import authorize, authorize_role
from ..models import Leave, ShiftSwap, Staff
from .desk import _can, _int, _staff_or_403

# --- staff lists -----------------------------------------------------------------------------------


@login_required
def people_view(request):
    """Staff the viewer may see (authz.visible_to): own outlet, department or district."""
    staff = _staff_or_403(request)
    authorize_role(staff, "staff.view")
    people = list(selectors.visible_staff(staff)[:500])
    for p in people:
        p.masked_phone = mask_phone(p.phone)
    return render(request, "staff/people.html", {"people": people})


@login_required
def person_view(request, username):
    staff = _staff_or_403(request)
    person = selectors.get_staff(username, viewer=staff)
    return render(
        request, "staff/person.html", {"person": person, "phone": mask_phone(person.phone)}
    )


# --- A/B rota --------------------------------------------------------------------------------------


def _rota_context(request, outlet_code):
    from yimen.outlets.selectors import get_outlet

    staff = _staff_or_403(request)
    outlet = get_outlet(outlet_code)
    authorize(staff, "staff.rota.view", outlet)
    monday = parse_iso_week(request.GET.get("week"))  # a bad week: ValidationFailed → 400
    return staff, outlet, monday


@login_required
def rota_view(request, outlet_code):
    staff, outlet, monday = _rota_context(request, outlet_code)
    sunday = monday + timedelta(days=6)
    r = selectors.rota(outlet, monday, sunday)
    from yimen.outlets.rules import WEEKDAY_LABELS, format_spans

    cells = {}
    for a in r.assignments:
        cells.setdefault((a.window, a.date), []).append(a)
    gaps = {}
    for g in r.gaps:
        gaps.setdefault((g.window, g.date), []).append(g)
    rows = []
    for post in r.posts:
        row = {
            "post": post,
            "members": [(grp, r.names.get(u, u)) for grp, u in sorted(post.members.items())],
            "days": [],
        }
        for day in r.days:
            row["days"].append(
                {
                    "assignments": [
                        {
                            "a": a,
                            "name": r.names.get(a.staff, a.staff),
                            "replaces": r.names.get(a.replaces, a.replaces),
                        }
                        for a in sorted(
                            cells.get((post.window, day.date), []), key=lambda x: x.start
                        )
                    ],
                    "gaps": gaps.get((post.window, day.date), []),
                    "open": bool(day.spans),
                }
            )
        rows.append(row)
    header = [
        {
            "date": d.date,
            "label": WEEKDAY_LABELS[d.date.weekday()],
            "spans": format_spans(d.spans),
            "duty": r.duty_group(d.date),
            "open": bool(d.spans),
        }
        for d in r.days
    ]
    can_manage = _can(staff, "staff.rota.manage", outlet)
    people = selectors.rota_people(outlet) if can_manage else []
    return render(
        request,
        "staff/rota.html",
        {
            "outlet": outlet,
            "monday": monday,
            "sunday": sunday,
            "header": header,
            "rows": rows,
            "rota": r,
            "week": iso_week_label(monday),
            "prev_week": iso_week_label(monday - timedelta(days=7)),
            "next_week": iso_week_label(monday + timedelta(days=7)),
            "can_manage": can_manage,
            "people": people,
            "leaves": selectors.leaves_in(outlet, monday, sunday),
            "swaps": selectors.swaps_in(outlet, monday, sunday),
            "leave_kinds": [k for k, _ in Leave._meta.get_field("kind").choices],
        },
    )


@login_required
def rota_export(request, outlet_code):
    staff, outlet, monday = _rota_context(request, outlet_code)
    weeks = request.GET.get("weeks", "1")
    count = parse_id(weeks, minimum=0)
    if count is None:
        raise ValidationFailed("weeks 应为 1～8 的整数。")
    weeks = max(1, min(count, 8))
    content = exports.rota_workbook(
        selectors.rota(outlet, monday, monday + timedelta(days=7 * weeks - 1))
    )
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"rota-{outlet.code}-{iso_week_label(monday)}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _parse_date(text, label):
    from yimen.core.inputs import form_date

    return form_date(text, label, required=True)  # YYYY-MM-DD inside the sane window


@login_required
@require_POST
def rota_change(request, outlet_code):
    from yimen.outlets.selectors import get_outlet

    staff = _staff_or_403(request)
    outlet = get_outlet(outlet_code)
    week = request.POST.get("week", "")
    try:
        op = request.POST.get("op")

        def person(key):
            return Staff.objects.filter(pk=_int(request.POST.get(key)), outlet=outlet).first()

        if op == "leave":
            who = person("staff")
            if who is None:
                raise ValidationFailed("请选择请假人。")
            services.record_leave(
                staff,
                who,
                _parse_date(request.POST.get("start"), "开始日期"),
                _parse_date(request.POST.get("end"), "结束日期"),
                kind=request.POST.get("kind") or "事假",
                substitute=person("substitute"),
                reason=request.POST.get("reason", ""),
                request=request,
            )
            messages.success(request, f"已登记{who.name}的请假。")
        elif op == "swap":
            a, b = person("from_staff"), person("to_staff")
            if a is None or b is None:
                raise ValidationFailed("请选择换班双方。")
            services.record_swap(
                staff,
                outlet,
                _parse_date(request.POST.get("date"), "换班日期"),
                a,
                b,
                reason=request.POST.get("reason", ""),
                request=request,
            )
            messages.success(request, f"已登记换班：{b.name}替{a.name}。")
        elif op == "cancel_leave":
            leave = Leave.objects.filter(
                pk=_int(request.POST.get("id")), staff__outlet=outlet
            ).first()
            if leave is None:
                raise NotFound("找不到该请假登记。")
            services.cancel_leave(staff, leave, request=request)
            messages.success(request, "已撤销请假。")
        elif op == "cancel_swap":
            swap = ShiftSwap.objects.filter(pk=_int(request.POST.get("id")), outlet=outlet).first()
            if swap is None:
                raise NotFound("找不到该换班登记。")
            services.cancel_swap(staff, swap, request=request)
            messages.success(request, "已撤销换班。")
        else:
            raise ValidationFailed("未知操作。")
    except DomainError as exc:
        messages.error(request, exc.message)
    try:  # back to the week the form was on: a clean label, never the posted text itself
        back = f"?week={iso_week_label(parse_iso_week(week))}" if week.strip() else ""
    except ValidationFailed:
        back = ""
    return redirect(f"/staff/rota/{outlet.code}/{back}")
