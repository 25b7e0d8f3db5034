"""S04's measurable expectation: a ticket issued at 12:05 on Wed 2022-03-16 at 城西区市民服务中心
waits no longer than the same day's 10:00–11:00 average + 10 minutes (demo). The A/B rota keeps
the windows staffed at midday; the forecast plays four weeks of the demo's sample history through
the twin with the live routing and dispatch rules and the day's rota."""

from datetime import date

import pytest
from django.core.cache import cache

S04_DAY = date(2022, 3, 16)


@pytest.mark.django_db
def test_s04_midday_wait_within_the_morning_average_plus_ten_minutes(demo, clock):
    from yimen.core import clock as project_clock
    from yimen.insight import forecast
    from yimen.insight.history import record_history
    from yimen.outlets.models import Outlet

    clock.freeze(project_clock.at(2022, 3, 16, 12, 5))
    cache.clear()
    assert record_history(today=S04_DAY) > 1000
    centre = Outlet.objects.get(code="XN-CX")
    result = forecast.predicted_waits(centre, S04_DAY)
    waits = {s["slot"]: s["wait"] for s in result["slots"]}
    assert result["open"] and result["history_days"] == 4
    assert "12:00" in waits  # no lunch break: the centre is open at 12:05
    morning = (waits["10:00"] + waits["10:30"]) / 2
    print(f"\nS04 forecast: 10:00–11:00 mean {morning:.1f} min, 12:00–12:30 {waits['12:00']} min")
    assert waits["12:00"] <= morning + 10
