"""Audit log: hash chain, append-only, tamper detection by `yimen audit verify`, redaction."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from yimen.core import audit
from yimen.core.models import AuditEntry


@pytest.fixture
def chain(db):
    AuditEntry.objects.all()._raw_delete(AuditEntry.objects.db)
    from yimen.core.models import AuditSeal

    AuditSeal.objects.all().delete()
    return [
        audit.record(
            "tester", f"test.step{i}", None, object_type="test", object_id=str(i), after={"n": i}
        )
        for i in range(5)
    ]


def sql(statement, params):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def run_verify(*args):
    out = StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out)
        return 0, out.getvalue()
    except CommandError as exc:
        return exc.returncode, out.getvalue()


def test_intact_chain_verifies(chain):
    assert audit.verify() == []
    code, out = run_verify()
    assert code == 0 and "校验通过" in out
    code, out = run_verify("--json")
    report = json.loads(out)
    assert (
        report["ok"] is True
        and report["count"] == report["entries"] == 5
        and report["problems"] == []
    )
    # the head an operator anchors outside the database: the last entry's id and hash
    assert (
        report["head_id"] == chain[-1].pk
        and report["head_hash"] == chain[-1].hash
        and report["head_at"]
    )


def test_anchor_kept_outside_detects_a_rewritten_history(chain):
    code, out = run_verify("--json")
    anchor = f"{json.loads(out)['head_id']}:{json.loads(out)['head_hash']}"
    code, out = run_verify("--json", "--anchor", anchor)
    assert code == 0 and json.loads(out)["anchor_ok"] is True
    # a database administrator rewrites an old entry and recomputes the whole chain and its seal:
    # verify() alone finds a consistent chain, the anchor kept elsewhere does not match any more
    sql("UPDATE core_auditentry SET reason = %s WHERE id = %s", ["悄悄改了", chain[1].pk])
    from yimen.core.models import AuditEntry, AuditSeal

    previous = ""
    for entry in AuditEntry.objects.order_by("id"):
        entry.prev_hash = previous
        previous = entry.compute_hash()
        sql(
            "UPDATE core_auditentry SET prev_hash = %s, hash = %s WHERE id = %s",
            [entry.prev_hash, previous, entry.pk],
        )
    sql(
        "UPDATE core_auditseal SET last_hash = %s WHERE id = %s",
        [previous, AuditSeal.objects.get().pk],
    )
    assert audit.verify() == []
    code, out = run_verify("--json", "--anchor", anchor)
    report = json.loads(out)
    assert (
        code == 1
        and report["ok"] is False
        and report["anchor_ok"] is False
        and "被改写" in report["problems"][-1]
    )
    code, _out = run_verify("--anchor", "nonsense")
    assert code == 1


def test_changed_row_is_detected(chain):
    sql("UPDATE core_auditentry SET reason = %s WHERE id = %s", ["悄悄改了", chain[2].pk])
    problems = audit.verify()
    assert any(f"第 {chain[2].pk} 条记录内容被修改" in p for p in problems)
    code, out = run_verify()
    assert code == 1 and "审计日志异常" in out


def test_changed_row_with_recomputed_hash_breaks_the_next_link(chain):
    entry = AuditEntry.objects.get(pk=chain[1].pk)
    entry.actor_label = "someone-else"
    sql(
        "UPDATE core_auditentry SET actor_label = %s, hash = %s WHERE id = %s",
        ["someone-else", entry.compute_hash(), entry.pk],
    )
    assert any("被删除或篡改" in p for p in audit.verify())


def test_deleted_row_is_detected(chain):
    sql("DELETE FROM core_auditentry WHERE id = %s", [chain[2].pk])
    assert any(f"第 {chain[1].pk} 条与第 {chain[3].pk} 条之间" in p for p in audit.verify())


def test_deleted_last_row_is_detected(chain):
    sql("DELETE FROM core_auditentry WHERE id = %s", [chain[-1].pk])
    assert any("链尾记录缺失" in p for p in audit.verify())


def test_deleted_everything_is_detected(chain):
    sql("DELETE FROM core_auditentry", [])
    assert any("全部删除" in p for p in audit.verify())


def test_orm_refuses_to_change_or_delete(chain):
    entry = AuditEntry.objects.get(pk=chain[0].pk)
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def test_personal_data_never_reaches_the_summary(db):
    entry = audit.record(
        "tester",
        "test.redact",
        None,
        object_type="t",
        object_id="1",
        after={
            "id": "630104199001011237",
            "phone": "13812345678",
            "note": "申请人 630104199001011237 电话13812345678",
        },
        reason="核对 13812345678",
    )
    blob = json.dumps(entry.summary, ensure_ascii=False) + entry.reason
    assert "630104199001011237" not in blob and "13812345678" not in blob
    assert entry.summary["after"]["id"] == "630104********1237"
    assert entry.summary["after"]["phone"] == "138****5678"
    assert audit.verify() == [] or all("test.redact" not in p for p in audit.verify())


def test_source_address_is_recorded(rf, db, settings):
    # no trusted proxy configured: a client's own X-Forwarded-For is ignored (issue 14 §5)
    request = rf.get("/", HTTP_X_FORWARDED_FOR="10.1.2.3, 10.0.0.1", REMOTE_ADDR="198.51.100.7")
    entry = audit.record("tester", "test.ip", None, object_type="t", object_id="1", request=request)
    assert entry.source_ip == "198.51.100.7"
    # behind the configured proxy: the client the proxy saw (the last hop it appended)
    settings.YIMEN_TRUSTED_PROXIES = ["10.0.0.0/24"]
    request = rf.get("/", HTTP_X_FORWARDED_FOR="10.1.2.3, 198.51.100.8", REMOTE_ADDR="10.0.0.1")
    entry = audit.record("tester", "test.ip", None, object_type="t", object_id="1", request=request)
    assert entry.source_ip == "198.51.100.8"
    # the runbook's check behind nginx (operations.md §0 step 8): `audit tail` shows the address
    out = StringIO()
    call_command("audit", "tail", "-n", "1", stdout=out)
    assert out.getvalue().startswith(f"#{entry.pk} ") and "来源 198.51.100.8" in out.getvalue()


def test_seal_introduced_on_an_existing_log_counts_what_is_there(chain):
    from yimen.core.models import AuditSeal

    AuditSeal.objects.all().delete()  # a database from before the seal existed
    audit.record("tester", "test.after_upgrade", None, object_type="test", object_id="x")
    assert AuditSeal.objects.get(pk=1).count == 6
    assert audit.verify() == []
