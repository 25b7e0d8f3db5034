"""Documents of a case: the notices' and the result's PDFs, and the public verification page of a
result (its QR code leads there)."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from yimen.core import clock, pdf
from yimen.core.errors import NotFound
from yimen.core.masking import mask_name
from yimen.core.qr import qr_data_uri

from . import rules, selectors
from .models import Notice
from .views import _case_for


def _iso_date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _notice_context(case, notice):
    """A notice renders from its own snapshot (content) so a reprint shows what was handed over."""
    c = notice.content
    accepted = c.get("accepted_at")
    return {
        "case": case,
        "notice": notice,
        "applicant": selectors.masked_applicant(case),
        "issued_local": clock.local(notice.issued_at),
        "accepted_local": clock.local(datetime.fromisoformat(accepted)) if accepted else None,
        "due_date": _iso_date(c.get("due_date")),
        "legal_due_date": _iso_date(c.get("legal_due_date")),
        "deadline": _iso_date(c.get("deadline")),
        "delivered_local": clock.local(notice.issued_at),
        "recipient_masked": mask_name(c.get("recipient", "")),
    }


def render_notice_pdf(case, notice, base_url=None) -> bytes:
    case = selectors.get_case(case.pk)
    return pdf.render_pdf("cases/pdf/notice.html", _notice_context(case, notice), base_url=base_url)


@login_required
def notice_pdf(request, pk, notice_id):
    staff, case = _case_for(request, pk)
    notice = Notice.objects.select_related("issued_by").filter(case=case, pk=notice_id).first()
    if notice is None:
        raise NotFound("找不到该文书。")
    data = render_notice_pdf(case, notice, base_url=request.build_absolute_uri("/"))
    return pdf.pdf_response(data, f"{notice.kind_label}-{notice.number}.pdf")


def verify_url(request, result) -> str:
    return request.build_absolute_uri(reverse("cases:verify", args=[result.verify_token]))


def render_result_pdf(case, result, url: str) -> bytes:
    return pdf.render_pdf(
        "cases/pdf/result.html",
        {
            "case": case,
            "result": result,
            "verify_url": url,
            "qr_data_uri": qr_data_uri(url, scale=4, border=2),
            "issued_local": clock.local(result.issued_at),
            "decision_label": rules.DECISION_LABELS.get(case.decision, ""),
        },
    )


@login_required
def result_pdf(request, pk):
    staff, case = _case_for(request, pk)
    result = getattr(case, "result", None)
    if result is None:
        raise NotFound("该办件尚未出具结果。")
    return pdf.pdf_response(
        render_result_pdf(case, result, verify_url(request, result)),
        f"{result.title}-{result.licence_number}.pdf",
    )


def verify(request, token):
    """Public: anyone holding the licence can check it (no personal data beyond the holder)."""
    result = selectors.verify_result(token)
    status = 200 if result else 404
    holder = ""
    if result:
        holder = (
            result.holder if result.case.applicant_kind == "company" else mask_name(result.holder)
        )
    return render(request, "cases/verify.html", {"result": result, "holder": holder}, status=status)
