"""Backups that are known to restore (PostgreSQL): `yimen backup create` and `yimen backup verify`.

- create: `pg_dump -Fc` of the database *and*, from the very same snapshot, a manifest (JSON, next
  to the dump): the row count of every table and the audit chain's head (id, hash). The counts
  are taken in a REPEATABLE READ transaction that exports its snapshot, and pg_dump runs with
  `--snapshot`, so the dump and the manifest describe the same instant while the centre works on.
- verify: restores the dump into a scratch database (`<name>_verify_<random>`, dropped after),
  then checks on the restored copy: every table's count equals the manifest's; `yimen audit
  verify` passes (the hash chain is whole); the chain's head is the one anchored at backup time
  (`--anchor ID:HASH`, else the manifest's). Exit status 1 with the reasons otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


def _conninfo(url: str) -> str:
    """psycopg accepts postgres:// URLs as they are; only the scheme alias needs care."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _for_tool(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password and an environment carrying it (PGPASSWORD): a password in
    pg_dump's arguments would be readable by every user of the machine (ps)."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = parts.password
        netloc = parts.netloc.replace(f":{parts.password}@", "@", 1)
        url = urlunsplit(parts._replace(netloc=netloc))
    return url, env


def table_counts(conn: psycopg.Connection) -> dict[str, int]:
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
    ]
    counts = {}
    for table in tables:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        counts[table] = int(row.fetchone()[0])  # type: ignore[index]
    return counts


def audit_head(conn: psycopg.Connection) -> dict[str, Any]:
    row = conn.execute("SELECT id, hash FROM core_auditentry ORDER BY id DESC LIMIT 1").fetchone()
    return {"head_id": row[0], "head_hash": row[1]} if row else {"head_id": None, "head_hash": ""}


def create(url: str, dump: Path) -> dict[str, Any]:
    """Dump `url` to `dump` (custom format) and write `dump`.json; returns the manifest."""
    with psycopg.connect(_conninfo(url)) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        manifest = {
            "database": urlsplit(url).path.lstrip("/"),
            "created_at": conn.execute("SELECT now()").fetchone()[0].isoformat(),  # type: ignore[index]
            "tables": table_counts(conn),
            **audit_head(conn),
        }
        # the snapshot lives as long as this transaction: pg_dump must run inside it
        target, env = _for_tool(url)
        subprocess.run(
            ["pg_dump", "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(dump), target],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        )
        conn.rollback()
    manifest_path(dump).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return manifest


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + ".json")


@dataclass
class Verification:
    scratch: str
    problems: list[str] = field(default_factory=list)
    tables: int = 0
    rows: int = 0
    audit: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(url: str, dump: Path, anchor: str = "", keep: bool = False) -> Verification:
    """Restore `dump` into a scratch database next to `url`'s and check it (see module doc)."""
    manifest_file = manifest_path(dump)
    manifest = json.loads(manifest_file.read_text()) if manifest_file.exists() else None
    base = urlsplit(url).path.lstrip("/") or "yimen"
    scratch = f"{base}_verify_{uuid.uuid4().hex[:8]}"
    result = Verification(scratch=scratch)
    admin = with_database(url, "postgres")
    with psycopg.connect(_conninfo(admin), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
    scratch_url = with_database(url, scratch)
    try:
        target, env = _for_tool(scratch_url)
        restored = subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", "-d", target, str(dump)],
            capture_output=True,
            text=True,
            env=env,
        )
        if restored.returncode != 0:
            result.problems.append(f"pg_restore 失败：{restored.stderr.strip()[-500:]}")
            return result
        with psycopg.connect(_conninfo(scratch_url)) as conn:
            counts = table_counts(conn)
            head = audit_head(conn)
        result.tables, result.rows = len(counts), sum(counts.values())
        if manifest is None:
            result.problems.append(f"缺少备份清单 {manifest_file.name}：无法核对各表行数")
        else:
            for table, expected in sorted(manifest["tables"].items()):
                got = counts.get(table)
                if got != expected:
                    result.problems.append(f"表 {table}：备份时 {expected} 行，恢复后 {got} 行")
        result.audit = run_audit_verify(scratch_url, anchor or _anchor_of(manifest))
        if not result.audit.get("ok"):
            result.problems.extend(result.audit.get("problems") or ["审计日志校验未通过"])
        if manifest is not None and (head["head_id"], head["head_hash"]) != (
            manifest["head_id"],
            manifest["head_hash"],
        ):
            result.problems.append(
                f"审计链头与备份时不同：备份时第 {manifest['head_id']} 条，恢复后第 {head['head_id']} 条"
            )
        return result
    finally:
        if not keep:
            with psycopg.connect(_conninfo(admin), autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(scratch)
                    )
                )


def _anchor_of(manifest: dict[str, Any] | None) -> str:
    if not manifest or manifest.get("head_id") is None:
        return ""
    return f"{manifest['head_id']}:{manifest['head_hash']}"


def run_audit_verify(url: str, anchor: str) -> dict[str, Any]:
    """`yimen audit verify --json` against the restored copy, in a process of its own (this
    process's Django is bound to the live database)."""
    env = {**os.environ, "DATABASE_URL": url, "YIMEN_CHANGE_LISTENER": "0"}
    args = [sys.executable, "-m", "yimen.cli", "audit", "verify", "--json"]
    if anchor:
        args += ["--anchor", anchor]
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return {"ok": False, "problems": [f"yimen audit verify 无法运行：{done.stderr[-500:]}"]}
