"""`yimen backup create` / `verify` on PostgreSQL: a dump restores into a scratch database with
the counts, the audit chain and the chain head of backup time; a tampered dump is caught."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from yimen.ops import backup
from yimen.ops.cluster import database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def postgres(demo):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump / pg_restore drills need PostgreSQL (DATABASE_URL=postgres://…)")


def test_a_backup_restores_with_its_counts_audit_chain_and_head(postgres, tmp_path, capsys):
    from yimen.core import audit

    audit.record(None, "test.before_backup", object_type="test", object_id="1")
    dump = tmp_path / "yimen.dump"
    call_command("backup", "create", str(dump))
    manifest = json.loads(backup.manifest_path(dump).read_text())
    assert manifest["tables"]["core_auditentry"] >= 1 and manifest["head_id"]
    audit.record(None, "test.after_backup", object_type="test", object_id="2")  # not in the dump

    capsys.readouterr()
    call_command("backup", "verify", str(dump), "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["ok"], report["problems"]
    assert report["audit"]["anchor_ok"] and report["audit"]["head_id"] == manifest["head_id"]
    assert report["rows"] == sum(manifest["tables"].values())
    with connection.cursor() as cursor:  # the scratch database is gone
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [report["scratch"]])
        assert cursor.fetchone()[0] == 0


def test_a_dump_that_does_not_match_its_manifest_or_anchor_fails(postgres, tmp_path, capsys):
    dump = tmp_path / "yimen.dump"
    manifest = backup.create(database_url(), dump)
    manifest["tables"]["outlets_outlet"] += 1  # a row the dump lacks
    backup.manifest_path(dump).write_text(json.dumps(manifest))
    with pytest.raises(CommandError):
        call_command("backup", "verify", str(dump), "--anchor", f"{manifest['head_id']}:{'0' * 64}")
    out = capsys.readouterr().out
    assert "outlets_outlet" in out and "链头" in out


def test_a_damaged_dump_is_refused(postgres, tmp_path):
    dump = tmp_path / "broken.dump"
    dump.write_bytes(b"PGDMP not really")
    result = backup.verify(database_url(), dump)
    assert not result.ok and "pg_restore" in result.problems[0]


def test_the_password_goes_to_the_tools_by_environment_not_arguments():
    url, env = backup._for_tool("postgres://yimen:s3cret@db.internal:5432/yimen")
    assert url == "postgres://yimen@db.internal:5432/yimen" and env["PGPASSWORD"] == "s3cret"
