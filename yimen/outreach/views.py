"""Pages: the staff notices list (the bell's target), 主动服务 reminders (S01) and the public
unsubscribe link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from yimen.core.errors import DomainError, ValidationFailed
from yimen.staff import authz

from . import notices, proactive


@login_required
def notices_page(request):
    staff = authz.request_staff(request, "该账号不是工作人员账号。")
    return render(
        request,
        "outreach/notices.html",
        {
            "items": notices.listing(staff),
            "counts": notices.counts(staff),
            "labels": dict(notices.Notice.KIND_CHOICES),
        },
    )


@login_required
@require_POST
def notice_read(request, pk: int):
    staff = authz.request_staff(request, "该账号不是工作人员账号。")
    notices.mark_read(staff, pk)
    target = notices.visible_notices(staff).filter(pk=pk).values_list("link", flat=True).first()
    # only a path of this site ("//host/…" is another site)
    if (
        request.POST.get("open")
        and target
        and target.startswith("/")
        and url_has_allowed_host_and_scheme(target, allowed_hosts=None)
    ):
        return redirect(target)
    return redirect("outreach:notices")


@login_required
@require_POST
def notices_read_all(request):
    staff = authz.request_staff(request, "该账号不是工作人员账号。")
    notices.mark_read(staff)
    return redirect("outreach:notices")


def unsubscribe_page(request, token: str):
    """GET shows a confirmation; POST records the opt-out (a link prefetcher must not unsubscribe
    anyone)."""
    done, error = False, ""
    if request.method == "POST":
        try:
            proactive.unsubscribe(token=token)
            done = True
        except DomainError as exc:
            error = exc.message
    return render(request, "outreach/unsubscribe.html", {"done": done, "error": error})


@login_required
def reminders_page(request):
    """主动服务 (S01): plan next year's reminder at the window — to the person, a consenting
    relative's phone, or on paper — and see the outlet's planned reminders."""
    from datetime import date

    from yimen.core.masking import mask_name, mask_phone
    from yimen.queueing.selectors import resolve_items

    from .models import YearlyReminder

    staff = authz.request_staff(request, "该账号不是工作人员账号。")
    authz.authorize_role(staff, "outreach.consent")
    error, form = "", request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            try:
                due = date.fromisoformat(request.POST.get("due_date", ""))
            except ValueError:
                raise ValidationFailed("认证截止日期格式不正确（YYYY-MM-DD）。") from None
            proactive.plan_yearly_reminder(
                staff,
                outlet=staff.outlet,
                item=resolve_items([request.POST.get("item", "")])[0],
                person_name=request.POST.get("person_name", ""),
                id_number=request.POST.get("id_number", ""),
                due_date=due,
                channel=request.POST.get("channel", "sms"),
                phone=request.POST.get("phone", ""),
                relation=request.POST.get("relation", "本人"),
                consent=request.POST.get("consent") == "1",
                request=request,
            )
            messages.success(request, "已登记年度提醒。")
            return redirect("outreach:reminders")
        except DomainError as exc:
            error = exc.message
    rows = [
        {
            "name": mask_name(r.person_name),
            "item": r.item.name,
            "channel": r.get_channel_display(),
            "phone": mask_phone(r.phone),
            "relation": r.consent.relation if r.consent_id else "",
            "due": r.due_date,
            "remind_on": r.remind_on,
            "status": r.get_status_display(),
        }
        for r in authz.visible_to(staff, YearlyReminder.objects.all())
        .select_related("item", "consent")
        .order_by("-created_at")[:100]
    ]
    return render(
        request,
        "outreach/reminders.html",
        {"rows": rows, "error": error, "form": form},
        status=400 if error else 200,
    )
