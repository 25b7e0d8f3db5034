"""`yimen token …` and `yimen demo` (demo staff, password handling)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yimen.staff import demo as staff_demo
from yimen.staff.models import (
    ADMIN,
    APPROVER,
    CHIEF,
    CLERK,
    DIRECTOR,
    GUIDE,
    LEADER,
    ApiToken,
    Staff,
)
from yimen.staff.tokens import authenticate_token


def run(*args):
    out = StringIO()
    call_command("token", *args, stdout=out)
    return out.getvalue()


def test_staff_token_issue_use_list_revoke(client, demo):
    raw = json.loads(run("--staff", "cx_zh_201", "--json"))["token"]
    assert raw.startswith("ym_") and authenticate_token(raw).staff.user.username == "cx_zh_201"
    assert (
        client.get("/api/staff/me", HTTP_AUTHORIZATION=f"Bearer {raw}").json()["username"]
        == "cx_zh_201"
    )
    listing = run("--list")
    assert raw[:10] in listing and raw not in listing
    token = ApiToken.objects.get(key_prefix=raw[:10])
    assert token.key_hash != raw and raw not in token.key_hash  # only a hash is stored
    assert "已吊销" in run("--revoke", raw[:10])
    assert authenticate_token(raw) is None
    assert client.get("/api/staff/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_device_token(demo):
    out = run("--device", "XN-NSH-01", "--label", "柜台终端")
    raw = [line for line in out.splitlines() if line.startswith("ym_")][0]
    token = authenticate_token(raw)
    assert token.device_outlet.code == "XN-NSH-01" and token.label == "柜台终端"


@pytest.mark.parametrize(
    "args,message",
    [
        (["--staff", "nobody"], "找不到"),
        (["--device", "XN-NOPE"], "找不到网点"),
        (["--revoke", "ym_"], "至少"),
        (["--revoke", "ym_zzzzzzz"], "没有"),
    ],
)
def test_token_errors_are_clear(demo, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_demo_staff_roster(demo):
    cx = Staff.objects.filter(outlet__code="XN-CX")
    clerks = cx.filter(role=CLERK)
    assert clerks.count() == 38  # 19 ticket-calling windows × A/B
    assert clerks.filter(shift_group="A").count() == clerks.filter(shift_group="B").count() == 19
    for username in [
        "cx_zh_201",
        "cx_zh_205_b",
        "cx_green_101",
        "cx_bbcs_102",
        "cx_bangban_b101",
        "cx_zy_sj_301",
        "cx_zy_cg_311",
        "cx_guide",
        "cx_director",
        "cx_chief_zh",
        "cx_leader",
        "yimen_admin",
        "nsh01_clerk",
        "nsh12_clerk",
        "appr_ws",
    ]:
        assert Staff.objects.filter(user__username=username).exists(), username
    assert Staff.objects.filter(role=APPROVER).values("department").distinct().count() == 12
    assert Staff.objects.get(user__username="cx_leader").region_code == "630104"
    assert Staff.objects.get(user__username="yimen_admin").user.is_superuser
    assert {r for r in Staff.objects.values_list("role", flat=True)} >= {
        GUIDE,
        CLERK,
        APPROVER,
        CHIEF,
        DIRECTOR,
        LEADER,
        ADMIN,
    }


def test_demo_password_from_env_or_generated_once(demo, monkeypatch):
    staff_demo.reset()
    monkeypatch.setenv("YIMEN_DEMO_PASSWORD", "env-Demo-Passw0rd")
    out = StringIO()
    staff_demo.load(stdout=out)
    assert "env-Demo-Passw0rd" not in out.getvalue() and "YIMEN_DEMO_PASSWORD" in out.getvalue()
    assert Staff.objects.get(user__username="cx_director").user.check_password("env-Demo-Passw0rd")
    staff_demo.reset()
    monkeypatch.delenv("YIMEN_DEMO_PASSWORD")
    out = StringIO()
    staff_demo.load(stdout=out)
    generated = out.getvalue().split("：")[1].split()[0]
    assert len(generated) >= 16 and Staff.objects.get(
        user__username="cx_zh_201"
    ).user.check_password(generated)
    again = StringIO()
    staff_demo.load(stdout=again)  # second run: nothing created, password not shown again
    assert generated not in again.getvalue()


def test_no_default_password_in_code_or_docs():
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    for path in [root / "yimen" / "staff" / "demo.py", root / "docs" / "staff.md"]:
        if path.exists():
            text = path.read_text(encoding="utf-8")
            assert 'password="' not in text.replace(" ", "") and "默认密码：" not in text


def test_rota_command_december_and_s12(demo, tmp_path):
    out = StringIO()
    xlsx = tmp_path / "rota.xlsx"
    call_command(
        "rota",
        "XN-CX",
        "--from",
        "2026-12-01",
        "--to",
        "2026-12-31",
        "--json",
        "--xlsx",
        str(xlsx),
        stdout=out,
    )
    result = json.loads(out.getvalue())
    assert result["gaps"] == [] and result["double_bookings"] == [] and result["windows"] == 19
    assert (
        result["open_days"] == 27
    )  # 23 weekdays + 4 Saturdays (no statutory holiday in December 2026)
    assert xlsx.stat().st_size > 5000
    out = StringIO()
    call_command(
        "rota", "XN-CX", "--from", "2022-03-28", "--to", "2022-04-10", "--json", stdout=out
    )
    groups = json.loads(out.getvalue())["duty_groups"]
    assert (
        groups["2022-03-31"] == "A" and groups["2022-04-02"] == "A" and groups["2022-04-06"] == "B"
    )
    assert "2022-04-04" not in groups  # 清明: closed


def test_rota_command_reports_gaps_with_exit_status(demo):
    from datetime import date

    from yimen.staff import services

    chief = Staff.objects.get(user__username="cx_chief_zh")
    services.record_leave(
        chief, Staff.objects.get(user__username="cx_zh_204_b"), date(2026, 12, 3), date(2026, 12, 3)
    )
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("rota", "XN-CX", "--from", "2026-12-03", "--to", "2026-12-03", stdout=out)
    assert exc.value.returncode == 1 and "CX-ZH-204 2026-12-03 12:00-13:00" in out.getvalue()
    with pytest.raises(CommandError, match="格式不正确"):
        call_command("rota", "XN-CX", "--from", "12/03", stdout=StringIO())


def test_demo_reset_keeps_accounts_the_audit_log_refers_to(demo):
    from yimen.core import audit

    kept = Staff.objects.get(user__username="cx_zh_201")
    audit.record(kept, "test.touch", kept)
    staff_demo.reset()
    assert list(
        Staff.objects.filter(user__username__startswith="cx_").values_list(
            "user__username", flat=True
        )
    ) == ["cx_zh_201"]
    staff_demo.load(stdout=StringIO())
    assert Staff.objects.filter(outlet__code="XN-CX", role=CLERK).count() == 38
