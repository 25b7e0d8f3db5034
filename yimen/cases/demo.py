"""Demo cases for the 城西区 centre and a bank branch (`yimen cases demo`), made through the
services with the demo staff accounts (docs/staff.md), so they look exactly like real work:
an accepted licence in the back office, a one-time notice waiting for the applicant, a 容缺
acceptance, a 即办件 finished at the window, a bank-counter case, and a 很难办 hand-over.

Run after `yimen demo`. Idempotent: does nothing when demo cases already exist."""

from datetime import date

from django.db import transaction

from yimen.catalog.models import ServiceItem
from yimen.core.validators import make_credit_code, make_resident_id
from yimen.outlets.models import Outlet, Window
from yimen.staff.models import Staff

from . import rules, services
from .models import Case

DEMO_TAG = "演示数据"


def _staff(username):
    return (
        Staff.objects.select_related("outlet", "department").filter(user__username=username).first()
    )


def _applicant(n: int, name: str) -> dict:
    return {
        "applicant_kind": "person",
        "applicant_name": name,
        "applicant_id_number": make_resident_id(
            "630104", date(1980 + n, 1 + n % 12, 1 + n), 100 + n
        ),
        "applicant_phone": f"1380013{n:04d}",
    }


def _company(n: int, name: str) -> dict:
    return {
        "applicant_kind": "company",
        "applicant_name": name,
        "credit_code": make_credit_code(f"91630104MA7XYB{n:03d}"),
        "agent_role": "经办人",
        "agent_name": "马经办",
        "agent_id_number": make_resident_id("630104", date(1990, 5, 5), 200 + n),
    }


def _check_all(actor, case, missing=()):
    marks = {
        m.pk: (
            (rules.M_MISSING, "")
            if any(w in m.name for w in missing)
            else (rules.M_RECEIVED, "electronic" if m.kind == "电子" else "paper")
        )
        for m in case.materials.all()
        if m.required
    }
    services.check_materials(actor, case, marks)


@transaction.atomic
def load(stdout=None) -> str:
    if Case.objects.filter(applicant_name__endswith=f"（{DEMO_TAG}）").exists():
        return "demo cases already present"
    cx = Outlet.objects.filter(code="XN-CX").first()
    zh201 = Window.objects.filter(code="CX-ZH-201").first()
    clerk = _staff("cx_zh_201")
    appr_ws, appr_cg = _staff("appr_ws"), _staff("appr_cg")
    bank_clerk = _staff("nsh01_clerk")
    if not all([cx, zh201, clerk, appr_ws, appr_cg, bank_clerk]):
        return "demo cases skipped: load the demo network and staff first (yimen demo)"

    def item(code):
        return ServiceItem.objects.get(code=code)

    def tag(data):
        return {**data, "applicant_name": f"{data['applicant_name']}（{DEMO_TAG}）"}

    made = []
    # accepted 卫生许可 in the back office, first step done
    c = services.open_case(
        clerk,
        item=item("XN-WS-001"),
        outlet=cx,
        window=zh201,
        applicant=tag(_applicant(1, "赵美丽")),
    )
    _check_all(clerk, c)
    c = services.accept(clerk, c)
    services.review_step(appr_ws, c, opinion="材料审查通过")
    made.append(c)
    # one-time notice: two materials missing
    c = services.open_case(
        clerk,
        item=item("XN-WS-001"),
        outlet=cx,
        window=zh201,
        applicant=tag(_applicant(2, "钱多多")),
    )
    _check_all(clerk, c, missing=["卫生设施平面布局图", "卫生管理制度"])
    services.notify_missing(clerk, c)
    made.append(c)
    # 容缺受理: the test report comes later
    c = services.open_case(
        clerk, item=item("XN-WS-001"), outlet=cx, window=zh201, applicant=tag(_applicant(3, "孙丽"))
    )
    _check_all(clerk, c, missing=["卫生检测"])
    made.append(
        services.accept(clerk, c, tolerance=True, promise="本人承诺在期限内补交卫生检测报告")
    )
    # 即办件 finished at the window
    c = services.open_case(
        clerk,
        item=item("XN-CG-001"),
        outlet=cx,
        window=zh201,
        applicant=tag(_company(1, "西宁顺达运输有限公司")),
    )
    _check_all(clerk, c)
    made.append(services.accept(clerk, c))
    # 户外广告 with a hearing (clock paused)
    c = services.open_case(
        clerk,
        item=item("XN-CG-002"),
        outlet=cx,
        window=zh201,
        applicant=tag(_company(2, "如意宾馆")),
    )
    _check_all(clerk, c)
    c = services.accept(clerk, c)
    services.review_step(appr_cg, c, opinion="拟同意")
    services.pause_clock(appr_cg, c, kind="hearing", reason="广告牌涉及相邻居民采光，举行听证")
    made.append(c)
    # bank counter: newborn insurance
    bank = bank_clerk.outlet
    c = services.open_case(
        bank_clerk, item=item("XN-YB-002"), outlet=bank, applicant=tag(_applicant(4, "王小宝"))
    )
    _check_all(bank_clerk, c)
    made.append(services.accept(bank_clerk, c))
    services.refresh_time_status()
    summary = f"demo cases: {len(made)} ({', '.join(m.receipt_number for m in made)})"
    if stdout is not None:
        stdout.write(summary + "\n")
    return summary
