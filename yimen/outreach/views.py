"""Pages: the staff notices list (the bell's target) and the public unsubscribe link."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from yimen.core.errors import DomainError
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
    if request.POST.get("open") and target and target.startswith("/"):
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
