from io import StringIO

from django.core.management import call_command


def test_demo_loads_network_and_sample_activity_and_resets_cleanly(transactional_db, monkeypatch):
    """`make run` path: `yimen demo` on an empty database, then `--reset` over a used one."""
    from yimen.cases.models import Case
    from yimen.catalog.models import ServiceItem
    from yimen.feedback.models import Grievance
    from yimen.outlets.models import Outlet
    from yimen.staff.models import Staff

    monkeypatch.setenv("YIMEN_DEMO_PASSWORD", "Demo-Passw0rd-2026")
    call_command("flush", interactive=False, verbosity=0)
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out, stderr=out)
    assert "演示数据已载入" in out.getvalue()
    # the network's 20 outlets + 网上办事大厅 (yimen/online, a demo extra)
    assert Outlet.objects.count() == 21 and ServiceItem.objects.count() == 80
    assert Staff.objects.exists() and Case.objects.exists() and Grievance.objects.exists()
    assert "未载入" not in out.getvalue()

    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "跳过" in out.getvalue()

    cases_before = Case.objects.count()
    out = StringIO()
    call_command("demo", "--reset", stdout=out, stderr=out)
    assert Case.objects.count() == cases_before  # rebuilt, not doubled
    assert Outlet.objects.count() == 21
