"""Liveness and readiness, for the proxy's and the orchestrator's health checks.

- ``/healthz``: the process answers (no database: a database outage must not get every node
  restarted at once);
- ``/readyz``: the database answers, no migration is pending, and this process's caches are warm
  (its start-up warm-up ran; on PostgreSQL its change listener is connected, else its caches
  could serve another node's stale data for minutes). 503 with the reasons otherwise.
"""

from __future__ import annotations

import threading

from django.db import DEFAULT_DB_ALIAS, connections

_state = {"warm": False, "migrated": False}
_lock = threading.Lock()


def mark_warm() -> None:
    """Called once the process's start-up warm-up has run (yimen/asgi.py)."""
    _state["warm"] = True


def migrations_applied() -> bool:
    """No unapplied migration (checked until true once: loading the graph costs ~0.1 s)."""
    if _state["migrated"]:
        return True
    from django.db.migrations.executor import MigrationExecutor

    with _lock:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        _state["migrated"] = not plan
    return _state["migrated"]


def problems() -> list[str]:
    """Why this process is not ready ([] = ready)."""
    from django.conf import settings

    from yimen.core import changes

    found = []
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 — reported, not raised
        return [f"数据库不可达：{type(exc).__name__}"]
    if not migrations_applied():
        found.append("有未执行的数据库迁移（yimen migrate）")
    if getattr(settings, "YIMEN_WARM_UP", True) and not _state["warm"]:
        found.append("缓存尚未预热")
    if changes._listener.enabled() and not changes.listening():
        found.append("变更监听（PostgreSQL LISTEN）未连接")
    return found
