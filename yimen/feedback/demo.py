"""Demo 办不成事 reflections at 城西区市民服务中心, one per path (S06 很难办 on the ladder, S08 不给办
under investigation, S07 办不了 waiting for the face-to-face explanation). Uses the demo staff of
yimen.staff.demo (cx_bbcs_102 at window 102, cx_chief_dc of the 督查科).

Run with `yimen feedback demo`; it can also be listed in settings.YIMEN_DEMO_LOADERS. Idempotent:
nothing is added when the demo reflections exist. Ratings are not faked: they come from real
finished tickets."""

from django.db import transaction

from yimen.catalog.models import ServiceItem
from yimen.outlets.models import Outlet
from yimen.staff.models import Staff

from . import rules, services
from .models import Grievance

MARK = "【演示】"


@transaction.atomic
def load(stdout=None):
    outlet = Outlet.objects.filter(code="XN-CX").first()
    intake = Staff.objects.filter(user__username="cx_bbcs_102").first()
    chief = Staff.objects.filter(user__username="cx_chief_dc").first()
    if outlet is None or intake is None or chief is None:
        return "好差评与办不成事：缺少演示网点或演示人员，未生成演示反映"
    if Grievance.objects.filter(outlet=outlet, description__startswith=MARK).exists():
        return "好差评与办不成事：演示反映已存在"
    items = {
        i.code: i
        for i in ServiceItem.objects.filter(code__in=["XN-SJ-001", "XN-SJ-006", "XN-MZ-002"])
    }
    services.submit_grievance(
        outlet=outlet,
        category=rules.HARD,
        item=items.get("XN-SJ-001"),
        phone="13900000001",
        applicant_name="马建国",
        missing_materials=["经营场所使用证明（或住所申报承诺书）"] if "XN-SJ-001" in items else [],
        description=MARK
        + "老楼没有房产证（历史遗留问题），开不出经营场所使用证明，个体执照办不了。",
        actor=intake,
    )
    refused = services.submit_grievance(
        outlet=outlet,
        category=rules.REFUSED,
        item=items.get("XN-SJ-006"),
        phone="13900000002",
        applicant_name="刘大厨",
        missing_materials=["从业人员健康证明"] if "XN-SJ-006" in items else [],
        description=MARK + "我材料就差一个健康证，窗口说不给办。",
        actor=intake,
    )
    services.start_investigation(refused, chief, "调取原办理记录，核对材料目录")
    services.submit_grievance(
        outlet=outlet,
        category=rules.CANNOT,
        item=items.get("XN-MZ-002"),
        phone="13900000003",
        applicant_name="李福",
        description=MARK + "我65岁了，也想领高龄补贴，窗口说年龄不够。",
        actor=intake,
    )
    return "好差评与办不成事：演示反映 3 件（很难办·局务会、不给办·核查中、办不了·待当面说明）"
