"""Hypothesis stateful test: random sequences of intake, back-office and delivery actions on one
case (with the clock moving) keep the lifecycle's invariants."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from yimen.cases import rules, services
from yimen.cases.models import Case, CaseEvent, Result
from yimen.catalog.models import ServiceItem
from yimen.core import clock as project_clock
from yimen.core.errors import DomainError
from yimen.core.models import AuditEntry
from yimen.core.selectors import work_calendar

from .conftest import approver, clerk_at, person

pytestmark = pytest.mark.django_db

ITEMS = ["XN-WS-001", "XN-CG-001", "XN-ZJ-004", "XN-CG-002"]


SEEN: set = set()


class CaseMachine(RuleBasedStateMachine):
    clerk = None
    approvers = ()

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.case = None
        self.expected = None
        self.first_notice = None

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)
        project_clock.unfreeze()

    @initialize(code=st.sampled_from(ITEMS))
    def open(self, code):
        project_clock.freeze(project_clock.at(2022, 3, 28, 9, 0))
        self.case = services.open_case(
            self.clerk,
            item=ServiceItem.objects.get(code=code),
            outlet=self.clerk.outlet,
            applicant=person(),
        )
        self.expected = rules.DRAFT

    # --- helpers ---------------------------------------------------------------------------
    def do(self, action, fn):
        before = Case.objects.get(pk=self.case.pk).status
        try:
            fn()
        except DomainError:
            assert Case.objects.get(pk=self.case.pk).status == before, (
                f"{action} failed but changed the status"
            )
            return False
        self.case = Case.objects.get(pk=self.case.pk)
        self.expected = self.case.status
        if action in rules.TRANSITIONS:
            allowed, _ = rules.TRANSITIONS[action]
            assert before in allowed, f"{action} succeeded from {before}"
        return True

    # --- intake ----------------------------------------------------------------------------
    @rule(data=st.data())
    def check(self, data):
        lines = list(self.case.materials.all())
        marks = {}
        for m in lines:
            choice = data.draw(st.sampled_from(["paper", "electronic", "missing", "skip"]))
            if choice == "missing":
                marks[m.pk] = (rules.M_MISSING, "")
            elif choice != "skip":
                marks[m.pk] = (rules.M_RECEIVED, choice)
        self.do("check", lambda: services.check_materials(self.clerk, self.case, marks))

    @rule()
    def notify(self):
        self.do("notify_missing", lambda: services.notify_missing(self.clerk, self.case))

    @rule()
    def come_back(self):
        self.do("return_visit", lambda: services.return_visit(self.clerk, self.case))

    @rule(tolerance=st.booleans())
    def accept(self, tolerance):
        self.do(
            "accept",
            lambda: services.accept(self.clerk, self.case, tolerance=tolerance, promise="承诺补交"),
        )

    @rule(how=st.sampled_from(["none", "none", "none", "reject", "escalate_hard", "withdraw"]))
    def end_early(self, how):
        if how == "none":
            return
        fn = {
            "reject": lambda: services.reject(self.clerk, self.case, reason="不符合受理条件的情形"),
            "escalate_hard": lambda: services.escalate_hard(
                self.clerk, self.case, reason="历史遗留问题无法提供"
            ),
            "withdraw": lambda: services.withdraw(self.clerk, self.case, reason="申请人撤回"),
        }[how]
        self.do(how, fn)

    @rule(leave_tolerable=st.booleans())
    def bring_everything(self, leave_tolerable):
        marks = {}
        for m in self.case.materials.all():
            if m.required:
                missing = leave_tolerable and m.tolerance_eligible
                marks[m.pk] = (rules.M_MISSING, "") if missing else (rules.M_RECEIVED, "paper")
        self.do("check", lambda: services.check_materials(self.clerk, self.case, marks))

    @rule()
    def supply(self):
        line = self.case.materials.filter(state=rules.M_TOLERATED).first()
        if line is not None:
            self.do(
                "supply_material",
                lambda: services.supply_material(self.clerk, self.case, line.pk, via="paper"),
            )

    @rule(leave_tolerable=st.booleans())
    def complete_and_accept(self, leave_tolerable):
        """The common path: everything checked, then accepted (容缺 when a tolerable one is left out)."""
        self.bring_everything(leave_tolerable)
        self.accept(leave_tolerable)

    # --- back office -----------------------------------------------------------------------
    @rule()
    def all_steps_but_last(self):
        for i in range(3):
            if not self.do(
                "review_step", lambda i=i: services.review_step(self.approvers[i], self.case)
            ):
                break

    @rule(who=st.integers(0, 2))
    def step(self, who):
        self.do(
            "review_step",
            lambda: services.review_step(self.approvers[who], self.case, opinion="同意"),
        )

    @rule(kind=st.sampled_from(["hearing", "inspection", "expert", "correction"]))
    def pause(self, kind):
        self.do(
            "pause",
            lambda: services.pause_clock(
                self.approvers[0], self.case, kind=kind, reason="特别程序"
            ),
        )

    @rule()
    def resume(self):
        self.do("resume", lambda: services.resume_clock(self.approvers[0], self.case))

    @rule(decision=st.sampled_from([rules.APPROVE, rules.DENY]))
    def decide(self, decision):
        self.do(
            "decide",
            lambda: services.decide(
                self.approvers[2], self.case, decision=decision, reason="依法审查后的决定理由"
            ),
        )

    @rule(decision=st.sampled_from([rules.APPROVE, rules.DENY]))
    def review_and_decide(self, decision):
        self.all_steps_but_last()
        self.decide(decision)

    @rule(method=st.sampled_from(["window", "mail", "electronic"]))
    def issue_and_deliver(self, method):
        self.issue()
        self.deliver(method)

    @rule()
    def issue(self):
        self.do("issue_result", lambda: services.issue_result(self.approvers[2], self.case))

    @rule(method=st.sampled_from(["window", "mail", "electronic"]))
    def deliver(self, method):
        self.do(
            "deliver",
            lambda: services.deliver(self.clerk, self.case, method=method, tracking_number="EMS1"),
        )

    @rule(days=st.integers(1, 4))
    def time_passes(self, days):
        project_clock.travel(days=days)
        services.refresh_time_status()
        self.case = Case.objects.get(pk=self.case.pk)

    # --- invariants ------------------------------------------------------------------------
    @invariant()
    def lifecycle_is_consistent(self):
        if self.case is None:
            return
        case = Case.objects.get(pk=self.case.pk)
        SEEN.add(case.status)
        if case.decision and case.steps_total > 1:
            SEEN.add("decided_after_steps")
        assert (
            case.status == self.expected or case.status == rules.TERMINATED
        )  # only the job terminates
        if case.status in rules.ACCEPTED_STATES:
            assert case.accepted_at is not None
        if case.decision:
            assert case.accepted_at is not None and case.steps_done == case.steps_total
        # separation of duties: 承办/审核/批准 each by a different person
        step_staff = list(case.steps.values_list("staff_id", flat=True))
        assert len(step_staff) == len(set(step_staff))
        results = Result.objects.filter(case=case)
        assert results.count() <= 1
        if results.exists():
            assert case.decision == rules.APPROVE
            assert not case.materials.filter(state=rules.M_TOLERATED).exists()
            assert case.status in (rules.RESULT_READY, rules.CLOSED)
        # clock pauses: at most one open pause; paused status ⇔ an open pause; sums add up
        open_pauses = case.pauses.filter(ended_at__isnull=True).count()
        assert open_pauses == (1 if case.status == rules.PAUSED else 0)
        assert case.paused_workdays == sum(
            p.workdays for p in case.pauses.filter(ended_at__isnull=False)
        )
        if case.accepted_at and case.promised_limit is not None:
            accepted_on = project_clock.local(case.accepted_at).date()
            expected_due = (
                work_calendar()
                .add_workdays(accepted_on, case.promised_limit + case.paused_workdays)
                .date
            )
            assert case.due_date == expected_due
        # tolerance: never a non-eligible material as 容缺
        assert not case.materials.filter(state=rules.M_TOLERATED, tolerance_eligible=False).exists()
        # one-time notice: later notices never add materials
        notices = list(case.notices.filter(kind=rules.NOTICE_ONE_TIME).order_by("id"))
        if notices:
            first = {m["id"] for m in notices[0].content["materials"]}
            for later in notices[1:]:
                assert {m["id"] for m in later.content["materials"]} <= first
        # trips: every trip after the first carries a reason
        visits = list(case.visits.order_by("at", "id"))
        assert visits and all(v.reason for v in visits[1:])
        # every transition is audited
        transitions = (
            CaseEvent.objects.filter(case=case)
            .exclude(action__in=["open", "supply_material", "remind_tolerance"])
            .count()
        )
        audited = AuditEntry.objects.filter(
            object_type="cases.case",
            object_id=str(case.pk),
            action__in=[f"case.{a}" for a in rules.TRANSITIONS],
        ).count()
        assert audited >= transitions


def test_case_lifecycle_state_machine(demo, clock):
    clerk, _w = clerk_at("CX-ZH-201")
    CaseMachine.clerk = clerk
    results = {}
    for code in ITEMS:
        dept = ServiceItem.objects.get(code=code).department.code
        results.setdefault(dept, tuple(approver(dept) for _ in range(3)))

    class Machine(CaseMachine):
        @property
        def approvers(self):
            return results[self.case.item.department.code]

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=18,
            stateful_step_count=30,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # the random walks reached deep into the lifecycle
    assert {rules.DRAFT, rules.ACCEPTED} <= SEEN and len(SEEN - {"decided_after_steps"}) >= 4, SEEN
