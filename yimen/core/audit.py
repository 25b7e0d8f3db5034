"""Audit log: who did what, when, to which object, with a before/after summary and the source
address. Entries form a hash chain (each hash covers the previous one), so `yimen audit verify`
finds a changed, inserted or deleted row.

Never put a full ID number or phone into a summary: pass values through core.masking first.
"""

import threading
import uuid
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import F

from . import changes, clientaddr, clock
from .masking import redact_data
from .models import AuditEntry, AuditSeal

_PG_LOCK_KEY = 774411  # arbitrary constant: serialises chain appends on PostgreSQL


def _actor_fields(actor):
    if actor is None:
        return None, "system"
    if isinstance(actor, str):
        return None, actor
    user = getattr(actor, "user", actor)  # a Staff profile or a User
    return getattr(user, "pk", None), getattr(user, "username", str(user))


def client_ip(request):
    """The real client address: X-Forwarded-For counts only from YIMEN_TRUSTED_PROXIES."""
    return clientaddr.client_ip(request)


def record(
    actor,
    action: str,
    obj=None,
    *,
    before=None,
    after=None,
    reason: str = "",
    request=None,
    ip=None,
    object_type: str = "",
    object_id: str = "",
) -> AuditEntry:
    """Append one audit entry. Runs inside the caller's transaction (or its own); inside a
    `deferred()` block the entry joins the chain when the block ends (same transaction)."""
    actor_id, actor_label = _actor_fields(actor)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    summary = {}
    if before is not None:
        summary["before"] = redact_data(before)
    if after is not None:
        summary["after"] = redact_data(after)
    reason = redact_data(reason or "")
    entry = AuditEntry(
        at=clock.now(),
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        summary=summary,
        reason=reason[:500],
        source_ip=ip or client_ip(request),
    )
    buffer = getattr(_local, "buffer", None)
    if buffer is not None:
        buffer.append(entry)
        return entry
    with transaction.atomic(savepoint=False):
        _append([entry])
    return entry


_local = threading.local()


@contextmanager
def deferred():
    """Collect the audit entries recorded inside and append them to the chain as the block ends,
    still inside the caller's transaction (which must enclose the block).

    Why: appending takes the chain's one global lock, held until commit. Taken at the end, the
    global critical section is the append itself, not the whole write — and no transaction
    holding that lock ever waits for a row (the lock order is: rows, then the chain)."""
    buffer = getattr(_local, "buffer", None)
    if buffer is not None:  # nested: the outermost block appends
        mark = len(buffer)
        try:
            yield
        except BaseException:
            del buffer[mark:]  # its savepoint rolls back: so do the entries recorded inside
            raise
        return
    _local.buffer = []
    try:
        yield
        entries = _local.buffer
    finally:
        _local.buffer = None
    if entries:
        _append(entries)


def _append(entries: list[AuditEntry]) -> None:
    """Chain `entries` after the current head, under the chain lock (caller's transaction).
    Ids are taken under the lock too, so id order is chain order."""
    if connection.vendor == "postgresql" and _append_pg(entries):
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # the seal row is the chain's lock (one statement: lock + current head); before the
            # first entry there is no seal row yet and the advisory lock stands in for it
            cursor.execute("SELECT last_hash FROM core_auditseal WHERE id = 1 FOR UPDATE")
            row = cursor.fetchone()
            if row is None:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
                cursor.execute("SELECT last_hash FROM core_auditseal WHERE id = 1 FOR UPDATE")
                row = cursor.fetchone()
            # ids from the sequence, so each hash (which covers the id) is known before the insert
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('core_auditentry', 'id')) "
                "FROM generate_series(1, %s)",
                [len(entries)],
            )
            ids = [r[0] for r in cursor.fetchall()]
        last = row[0] if row else _last_hash()
        for entry, pk in zip(entries, ids):
            entry.pk, entry.prev_hash = pk, last or ""
            entry.hash = last = entry.compute_hash()
        AuditEntry.objects.bulk_create(entries)
    else:  # SQLite: writers are already serialised (BEGIN IMMEDIATE); ids come with the insert
        last = _last_hash()
        for entry in entries:
            entry.prev_hash, entry.hash = (
                last or "",
                uuid.uuid4().hex,
            )  # placeholder until the id is known
            entry.save()
            entry.hash = last = entry.compute_hash()
            AuditEntry.objects.filter(pk=entry.pk).update(hash=entry.hash)
    tail = entries[-1]
    moved = AuditSeal.objects.filter(pk=1).update(
        last_id=tail.pk, last_hash=tail.hash, count=F("count") + len(entries)
    )
    if not moved:  # first entry since the seal was introduced: it counts what is already there
        AuditSeal.objects.create(
            pk=1, last_id=tail.pk, last_hash=tail.hash, count=AuditEntry.objects.count()
        )


def _append_pg(entries: list[AuditEntry]) -> bool:
    """PostgreSQL, once the seal row exists (False before: _append creates it): two statements
    instead of four. Every queue write ends here, so its round trips and ORM work add up.
    1. lock the seal row, read the head and take the ids — after the lock (the CTE is
       materialised first), so id order is chain order;
    2. insert the entries and move the seal, in one statement — which also sends the change
       notifications collected by core.changes.notify_at_end."""
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH seal AS MATERIALIZED (SELECT last_hash FROM core_auditseal WHERE id = 1 FOR UPDATE) "
            "SELECT seal.last_hash, nextval(pg_get_serial_sequence('core_auditentry', 'id')) "
            "FROM seal CROSS JOIN generate_series(1, %s) ORDER BY 2",
            [len(entries)],
        )
        rows = cursor.fetchall()
        if not rows:
            return False
        last = rows[0][0]
        for entry, (_head, pk) in zip(entries, rows):
            entry.pk, entry.prev_hash = pk, last or ""
            entry.hash = last = entry.compute_hash()
        fields = AuditEntry._meta.concrete_fields
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
        values = [
            f.get_db_prep_save(getattr(entry, f.attname), connection)
            for entry in entries
            for f in fields
        ]
        tail = entries[-1]
        # and the transaction's change notifications (core.changes.notify_at_end), if any
        topics = changes.take_pending()
        notify, notify_params = changes.notify_sql(topics) if topics else ("", [])
        cursor.execute(
            f"WITH added AS (INSERT INTO {AuditEntry._meta.db_table} ({columns}) "
            f"VALUES {', '.join([row_sql] * len(entries))}) "
            "UPDATE core_auditseal SET last_id = %s, last_hash = %s, count = count + %s "
            + (f"FROM (SELECT {notify}) AS notified " if topics else "")
            + "WHERE id = 1",
            values + [tail.pk, tail.hash, len(entries)] + notify_params,
        )
    return True


def _last_hash() -> str | None:
    return AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()


def verify() -> list[str]:
    """Walk the chain; return a list of problems in Chinese (empty = intact)."""
    problems = []
    previous_hash = ""
    previous_id = None
    for entry in AuditEntry.objects.order_by("id").iterator():
        if entry.prev_hash != previous_hash:
            if previous_id is None:
                problems.append(f"第 {entry.pk} 条之前的记录缺失（链首不为空）。")
            else:
                problems.append(f"第 {previous_id} 条与第 {entry.pk} 条之间的记录被删除或篡改。")
        if entry.compute_hash() != entry.hash:
            problems.append(f"第 {entry.pk} 条记录内容被修改（{entry.action}）。")
        previous_hash = entry.hash
        previous_id = entry.pk
    seal = AuditSeal.objects.filter(pk=1).first()
    if seal is not None and seal.count:
        if previous_id is None:
            problems.append(f"审计日志为空，但链头记录了 {seal.count} 条：记录被全部删除。")
        elif seal.last_id != previous_id or seal.last_hash != previous_hash:
            problems.append(
                f"链尾记录缺失或被改动：链头指向第 {seal.last_id} 条，实际最后一条为第 {previous_id} 条。"
            )
    return problems


def verify_report() -> dict:
    """verify() plus the chain's head, for the command line and monitoring.

    `head_hash` (the last entry's hash, which covers every entry before it) with `count` and
    `head_id` is what an operator anchors outside the database (docs/security.md): a later report
    whose chain no longer contains that hash at that id means history was rewritten."""
    problems = verify()
    head = AuditEntry.objects.order_by("-id").values("id", "hash", "at").first()
    count = AuditEntry.objects.count()
    return {
        "ok": not problems,
        "count": count,
        "entries": count,
        "head_id": head["id"] if head else None,
        "head_hash": head["hash"] if head else "",
        "head_at": head["at"].isoformat() if head else None,
        "problems": problems,
    }


def anchored(head_id: int, head_hash: str) -> bool:
    """True when the entry `head_id` still carries `head_hash` (an anchor taken earlier)."""
    return AuditEntry.objects.filter(pk=head_id, hash=head_hash).exists()
