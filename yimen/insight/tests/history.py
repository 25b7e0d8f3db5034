"""Realistic history for the dashboard and report tests, made through the other apps' services
(queue tickets, window sessions, cases, ratings, grievances) with the project clock moved along.

Tue 2026-12-01 at 城西区市民服务中心 (XN-CX), windows 201 and 202 (综合):

    ticket  issued  called  window  outcome            wait
    t1      09:00   09:00   201     done 09:10         0
    t2      09:02   09:03   202     done 09:30         1
    t3      09:04   09:10   201     done 09:20         6
    t4      09:06   09:20   201     no-show            14
    t5      09:08   09:21   201     done 09:40         13
    t6      09:10   09:30   202     done 09:45         20
    t7      09:50   —       —       waiting at 10:00   (10 minutes so far)

→ 7 issued, 5 done, 1 no-show, waits of called tickets 0/1/6/14/13/20 (5 of 6 within 15 min,
mean 9.0). At 10:00 window 201 is idle, 202 paused (午餐接力), every other window closed.
Cases: t1 → XN-CG-001 (即办件, closed at once, on time); t2 → XN-WS-001 accepted (3 working days,
due Fri 12-04), decided and picked up at the window on Tue 12-08 (late). Ratings: t1 5, t3 2 (差评).
Grievance: one 不给办 about window 202.
"""

from dataclasses import dataclass
from datetime import date

from yimen.core import clock

DAY = date(2026, 12, 1)


@dataclass
class History:
    outlet: object
    clerk1: object
    clerk2: object
    w201: object
    w202: object
    tickets: dict
    cases: dict


def _at(h, m, d=DAY):
    clock.freeze(clock.at(d.year, d.month, d.day, h, m))


def seed() -> History:
    from yimen.cases import services as cases
    from yimen.cases.tests.conftest import mark_all, person
    from yimen.catalog.models import ServiceItem
    from yimen.feedback import services as feedback
    from yimen.outlets.models import Outlet, Window
    from yimen.queueing import services as q
    from yimen.staff import services as staff_services
    from yimen.staff.testing import make_staff

    outlet = Outlet.objects.get(code="XN-CX")
    w201 = Window.objects.get(outlet=outlet, code="CX-ZH-201")
    w202 = Window.objects.get(outlet=outlet, code="CX-ZH-202")
    clerk1 = make_staff("clerk", outlet=outlet, name="王窗口")
    clerk2 = make_staff("clerk", outlet=outlet, name="李窗口")
    cg = ServiceItem.objects.get(code="XN-CG-001")
    ws = ServiceItem.objects.get(code="XN-WS-001")
    t = {}
    _at(8, 59)
    staff_services.sign_in_window(clerk1, w201)
    staff_services.sign_in_window(clerk2, w202)

    def issue(name, h, m, item):
        _at(h, m)
        t[name] = q.issue_ticket(outlet, [item], channel="kiosk")

    def call(window, clerk, h, m, expect):
        _at(h, m)
        called = q.call_next(window, clerk)
        assert called.pk == t[expect].pk, (expect, called.number)
        return called

    cs = {}
    issue("t1", 9, 0, cg)
    call(w201, clerk1, 9, 0, "t1")
    q.start(t["t1"], clerk1)
    cs["cg"] = cases.open_case(clerk1, item=cg, ticket=t["t1"], window=w201, applicant=person())
    mark_all(cs["cg"])
    cs["cg"] = cases.accept(clerk1, cs["cg"])  # 即办件: closed at the same sitting
    issue("t2", 9, 2, ws)
    call(w202, clerk2, 9, 3, "t2")
    q.start(t["t2"], clerk2)
    cs["ws"] = cases.open_case(clerk2, item=ws, ticket=t["t2"], window=w202, applicant=person())
    mark_all(cs["ws"])
    cs["ws"] = cases.accept(clerk2, cs["ws"])
    issue("t3", 9, 4, cg)
    issue("t4", 9, 6, ws)
    issue("t5", 9, 8, cg)
    _at(9, 10)
    q.finish(t["t1"], clerk1)
    issue("t6", 9, 10, ws)
    call(w201, clerk1, 9, 10, "t3")
    q.start(t["t3"], clerk1)
    _at(9, 20)
    q.finish(t["t3"], clerk1)
    call(w201, clerk1, 9, 20, "t4")
    _at(9, 21)
    q.mark_no_show(t["t4"], clerk1, "叫号三次未到")
    call(w201, clerk1, 9, 21, "t5")
    q.start(t["t5"], clerk1)
    _at(9, 30)
    q.finish(t["t2"], clerk2)
    call(w202, clerk2, 9, 30, "t6")
    q.start(t["t6"], clerk2)
    _at(9, 40)
    q.finish(t["t5"], clerk1)
    _at(9, 45)
    q.finish(t["t6"], clerk2)
    issue("t7", 9, 50, cg)
    _at(9, 55)
    staff_services.pause_window(clerk2, "午餐接力")
    for name in t:
        t[name].refresh_from_db()
    _at(9, 56)
    feedback.submit_rating(ticket=t["t1"], score=5, channel="qr")
    feedback.submit_rating(
        ticket=t["t3"], score=2, reasons=["wait_long"], comment="等太久", channel="qr"
    )
    feedback.submit_grievance(
        outlet=outlet,
        category="refused",
        description="窗口说材料不全不给办",
        phone="13800138000",
        applicant_name="赵六",
        window=w202,
        staff=clerk2,
        item=ws,
        channel="window",
        actor=make_staff("clerk", outlet=outlet, name="孙反映"),
    )
    _at(10, 0)
    return History(outlet, clerk1, clerk2, w201, w202, t, cs)


def finish_ws_case_late(h: History):
    """The 卫健 case is decided and picked up at the window on Tue 12-08 (due Fri 12-04)."""
    from yimen.cases import rules, services as cases
    from yimen.staff.testing import make_staff

    a1, a2, a3 = (make_staff("approver", department="XN-WS") for _ in range(3))
    case = h.cases["ws"]
    _at(10, 0, date(2026, 12, 2))
    cases.review_step(a1, case, opinion="材料审查通过")
    cases.review_step(a2, case, opinion="同意")
    _at(10, 0, date(2026, 12, 8))
    cases.decide(a3, case, decision=rules.DENY, reason="卫生设施不符合要求")
    cases.deliver(h.clerk2, case, method="window")
    case.refresh_from_db()
    return case
