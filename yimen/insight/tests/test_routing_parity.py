"""The twin routes as the hall does: for the demo network, a request goes to the same queue in the
live system (queueing.selectors.route) and in the digital twin (insight.simulation.layout), both
deciding with queueing.rules.route_request — for any item, priority or not, either policy's
green channel."""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from yimen.catalog.models import ServiceItem
from yimen.core.errors import ValidationFailed
from yimen.insight import simulation
from yimen.outlets.models import Outlet
from yimen.queueing import rules, selectors

pytestmark = pytest.mark.django_db

FIXTURE_OK = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _twin_queue(outlet_code: str, item: ServiceItem, priority: bool) -> str | None:
    data = {
        "seed": 1,
        "duration_minutes": 60,
        "windows": simulation.live_windows(outlet_code),
        "arrivals": [{"item": item.code, "rate_per_hour": 1, "priority_share": int(priority)}],
        "service_minutes": {"default": {"dist": "fixed", "mean": 5}},
    }
    try:
        return simulation.layout(simulation.load_scenario(data)).queue_of[(item.code, priority)]
    except simulation.ScenarioError:
        return None


def _live_queue(outlet: Outlet, item: ServiceItem, priority: bool) -> str | None:
    try:
        return selectors.route(outlet, [item], "老年人" if priority else "").code
    except ValidationFailed:
        return None


@FIXTURE_OK
@given(data=st.data())
def test_live_and_twin_route_the_demo_network_the_same_way(demo, data):
    outlets = list(Outlet.objects.order_by("code"))
    items = list(ServiceItem.objects.filter(active=True).order_by("code"))
    outlet = data.draw(st.sampled_from(outlets), label="outlet")
    item = data.draw(st.sampled_from(items), label="item")
    priority = data.draw(st.booleans(), label="priority")
    assert _twin_queue(outlet.code, item, priority) == _live_queue(outlet, item, priority)


def test_the_demo_network_exercises_every_branch_of_the_rule(demo):
    """The parity above means something only if the demo routes to green channels, to
    comprehensive and specialised queues, and refuses some items: count what it does."""
    seen = set()
    for outlet in Outlet.objects.all():
        kinds = {i.queue.code: i.kind for i in selectors.queue_infos(outlet)}
        for item in ServiceItem.objects.filter(active=True):
            for priority in (False, True):
                code = _live_queue(outlet, item, priority)
                seen.add(kinds.get(code, "refused") if code else "refused")
    assert {"综合窗口", rules.GREEN_CHANNEL, "refused"} <= seen


queues = st.lists(
    st.builds(
        rules.QueueRecord,
        code=st.sampled_from("ABCDEFG"),
        kind=st.sampled_from([*rules.KIND_PREFERENCE, "其他"]),
        accepts=st.frozensets(st.sampled_from("xyz")),
        prefix=st.sampled_from("PQRS"),
    ),
    max_size=6,
    unique_by=lambda q: q.code,
)
requests = st.lists(
    st.builds(rules.RoutedItem, code=st.sampled_from("xyz"), green_channel_eligible=st.booleans()),
    max_size=3,
)


@settings(max_examples=300)
@given(queues=queues, items=requests, priority=st.booleans())
def test_route_request_sends_a_request_only_where_it_can_be_served(queues, items, priority):
    chosen = rules.route_request(queues, items, priority)
    by_code = {q.code: q for q in queues}
    if chosen.queue is None:
        assert chosen.problem in (rules.NO_ITEM, rules.SPLIT_REQUIRED, rules.NOT_HANDLED_HERE)
        assert not items or not any(
            q.kind != rules.GREEN_CHANNEL and all(i.code in q.accepts for i in items)
            for q in queues
        )
        return
    q = by_code[chosen.queue]
    if q.kind == rules.GREEN_CHANNEL:
        assert priority  # the green channel only for priority people
    else:
        assert all(i.code in q.accepts for i in items)
        # and no queue of a preferred kind would have taken them
        better = [
            o
            for o in queues
            if o.kind != rules.GREEN_CHANNEL
            and all(i.code in o.accepts for i in items)
            and rules._kind_rank(o.kind) < rules._kind_rank(q.kind)
        ]
        assert not better
