"""Notices and results are Chinese PDFs with embedded CJK fonts: render them, read their text back
(pdftotext), check the fonts are embedded (pdffonts) and render a page to PNG (pdftoppm)."""

import subprocess
from pathlib import Path

import pytest

from yimen.cases import rules, services
from yimen.catalog.models import ServiceItem

from .conftest import approver, clerk_at, mark_all, person

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def pdf_text(data: bytes, tmp_path, name="doc") -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_fonts(data: bytes, tmp_path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout


def to_png(data: bytes, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / f"{name}.pdf"
    pdf.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(ARTIFACTS / name)], check=True
    )
    return ARTIFACTS / f"{name}.png"


def squash(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def one_time_case(demo, clock):
    clock.freeze(clock.at(2022, 3, 25, 9, 30))
    clerk, w = clerk_at("CX-ZH-201")
    case = services.open_case(
        clerk,
        item=ServiceItem.objects.get(code="XN-WS-001"),
        outlet=w.outlet,
        window=w,
        applicant=person(applicant_name="赵美丽"),
    )
    mark_all(case, missing=["卫生设施平面布局图", "卫生检测"])
    services.notify_missing(clerk, case)
    return clerk, case


def test_one_time_notice_pdf_lists_all_missing_materials(one_time_case, client, tmp_path):
    clerk, case = one_time_case
    notice = case.notices.get(kind=rules.NOTICE_ONE_TIME)
    client.force_login(clerk.user)
    response = client.get(f"/cases/{case.pk}/notices/{notice.pk}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    data = response.content
    text = squash(pdf_text(data, tmp_path))
    assert "一次性告知书" in text and case.receipt_number in text
    assert "公共场所地址方位示意图、平面图和卫生设施平面布局图" in text
    assert "公共场所卫生检测或评价报告" in text
    assert "不会再提出新的材料要求" in text
    assert "赵*" in text and case.applicant_id_number not in text  # masked
    fonts = pdf_fonts(data, tmp_path)
    assert "CID" in fonts  # CJK (CID-keyed) fonts
    emb = [line.split()[-5] for line in fonts.splitlines()[2:] if line.strip()]
    assert emb and all(e == "yes" for e in emb), fonts
    png = to_png(data, "cases-notice-one-time")
    assert png.stat().st_size > 5000


def test_acceptance_tolerance_reject_and_delivery_notices(demo, clock, tmp_path):
    from yimen.cases.document_views import render_notice_pdf

    clock.freeze(clock.at(2022, 3, 28, 10, 0))
    clerk, w = clerk_at("CX-ZH-203")
    ws = ServiceItem.objects.get(code="XN-WS-001")
    a = services.open_case(clerk, item=ws, outlet=w.outlet, window=w, applicant=person())
    mark_all(a)
    services.accept(clerk, a)
    data = render_notice_pdf(a, a.notices.get(kind=rules.NOTICE_ACCEPT))
    to_png(data, "cases-notice-accept")
    text = squash(pdf_text(data, tmp_path, "a"))
    assert (
        "受理通知书" in text
        and "予以受理" in text
        and "2022年3月31日" in text
        and a.receipt_number in text
    )

    b = services.open_case(clerk, item=ws, outlet=w.outlet, window=w, applicant=person())
    mark_all(b, missing=["卫生检测"])
    services.accept(clerk, b, tolerance=True, promise="本人承诺按期补交检测报告")
    data = render_notice_pdf(b, b.notices.get(kind=rules.NOTICE_TOLERANCE))
    text = squash(pdf_text(data, tmp_path, "b"))
    assert (
        "容缺受理通知书" in text
        and "公共场所卫生检测或评价报告" in text
        and "2022年3月31日前" in text
    )
    assert "本人承诺按期补交检测报告" in text
    to_png(data, "cases-notice-tolerance")

    c = services.open_case(clerk, item=ws, outlet=w.outlet, window=w, applicant=person())
    mark_all(c)
    services.reject(clerk, c, reason="申请场所位于居民住宅楼内，不属于公共场所卫生许可范围")
    text = squash(
        pdf_text(render_notice_pdf(c, c.notices.get(kind=rules.NOTICE_REJECT)), tmp_path, "c")
    )
    assert "不予受理通知书" in text and "不属于公共场所卫生许可范围" in text and "行政复议" in text

    staff = [approver("XN-WS") for _ in range(3)]
    services.review_step(staff[0], a)
    services.review_step(staff[1], a)
    services.decide(staff[2], a, decision=rules.APPROVE)
    services.issue_result(staff[2], a)
    services.deliver(clerk, a, method="mail", tracking_number="EMS1122334455CN", recipient="张三")
    data = render_notice_pdf(a, a.notices.get(kind=rules.NOTICE_DELIVERY))
    text = squash(pdf_text(data, tmp_path, "d"))
    assert "送达回执" in text and "邮寄送达" in text and "EMS1122334455CN" in text and "张*" in text


def test_result_pdf_has_qr_linking_to_verify_page(demo, clock, client, tmp_path):
    clock.freeze(clock.at(2022, 3, 17, 9, 40))
    clerk, w = clerk_at("CX-ZH-201")
    from .conftest import company

    case = services.open_case(
        clerk,
        item=ServiceItem.objects.get(code="XN-CG-001"),
        outlet=w.outlet,
        window=w,
        applicant=company(),
    )
    mark_all(case)
    services.accept(clerk, case)
    case.refresh_from_db()
    client.force_login(clerk.user)
    response = client.get(f"/cases/{case.pk}/result.pdf")
    assert response.status_code == 200
    data = response.content
    text = squash(pdf_text(data, tmp_path))
    assert "建筑垃圾准运证" in text and case.result.licence_number in text
    url = f"http://testserver/cases/verify/{case.result.verify_token}/"
    assert url in text
    png = to_png(data, "cases-result")
    # the QR code in the rendered page decodes to the same URL when zbarimg is available
    zbar = subprocess.run(["which", "zbarimg"], capture_output=True, text=True).stdout.strip()
    if zbar:
        hi = ARTIFACTS / "cases-result-hi"
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "200",
                "-singlefile",
                str(ARTIFACTS / "cases-result.pdf"),
                str(hi),
            ],
            check=True,
        )
        decoded = subprocess.run(
            [zbar, "-q", "--raw", f"{hi}.png"], capture_output=True, text=True
        ).stdout
        assert url in decoded
    assert png.exists()
    page = client.get(f"/cases/verify/{case.result.verify_token}/")
    assert page.status_code == 200 and "核验通过" in page.content.decode()
    assert client.get("/cases/verify/not-a-token/").status_code == 404
