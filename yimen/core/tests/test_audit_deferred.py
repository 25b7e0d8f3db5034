"""audit.deferred(): entries recorded inside the block join the hash chain when the block ends,
in order, in the caller's transaction; an exception discards them; nested blocks append once."""

import pytest
from django.db import transaction

from yimen.core import audit
from yimen.core.models import AuditEntry, AuditSeal

pytestmark = pytest.mark.django_db


def rec(action, n=0):
    return audit.record(
        "tester", action, None, object_type="test", object_id=str(n), after={"n": n}
    )


def actions(prefix):
    return list(
        AuditEntry.objects.filter(action__startswith=prefix)
        .order_by("id")
        .values_list("action", flat=True)
    )


def assert_linked(entries):
    """Consecutive in the chain: each entry's prev_hash is the hash of the one before."""
    stored = list(AuditEntry.objects.filter(pk__in=[e.pk for e in entries]).order_by("id"))
    assert [e.pk for e in stored] == [e.pk for e in entries]
    for previous, entry in zip(stored, stored[1:]):
        assert entry.prev_hash == previous.hash
        assert entry.pk > previous.pk


def seal_count():
    seal = AuditSeal.objects.filter(pk=1).first()
    return seal.count if seal else 0


@pytest.fixture
def empty_chain(db):
    AuditEntry.objects.all()._raw_delete(AuditEntry.objects.db)
    AuditSeal.objects.all().delete()


def test_entries_join_the_chain_when_the_block_ends(db):
    assert audit.verify() == []
    count_before = AuditEntry.objects.count()
    with transaction.atomic():
        with audit.deferred():
            first = rec("deferred.a", 1)
            second = rec("deferred.b", 2)
            third = rec("deferred.c", 3)
            assert first.pk is None and third.hash == ""
            assert actions("deferred.") == []  # nothing in the table yet
            assert AuditEntry.objects.count() == count_before
        # the block ended: all three appended, in order, before the transaction commits
        assert actions("deferred.") == ["deferred.a", "deferred.b", "deferred.c"]
        assert [first.pk, second.pk, third.pk] == sorted([first.pk, second.pk, third.pk])
    assert_linked([first, second, third])
    assert AuditEntry.objects.get(pk=third.pk).hash == third.hash
    seal = AuditSeal.objects.get(pk=1)
    assert seal.last_id == third.pk and seal.last_hash == third.hash
    assert seal.count == AuditEntry.objects.count() == count_before + 3
    assert audit.verify() == []


def test_deferred_entries_link_to_the_head_recorded_before(db):
    head = rec("deferred.head")
    with transaction.atomic(), audit.deferred():
        tail = rec("deferred.tail")
    assert AuditEntry.objects.get(pk=tail.pk).prev_hash == head.hash
    assert audit.verify() == []


def test_first_entries_of_an_empty_chain_create_the_seal(empty_chain):
    with transaction.atomic(), audit.deferred():
        first = rec("deferred.first", 1)
        second = rec("deferred.second", 2)
        assert not AuditSeal.objects.exists()
    first_row = AuditEntry.objects.get(pk=first.pk)
    assert first_row.prev_hash == ""
    assert_linked([first, second])
    seal = AuditSeal.objects.get(pk=1)
    assert (seal.last_id, seal.last_hash, seal.count) == (second.pk, second.hash, 2)
    assert audit.verify() == []


def test_exception_in_the_block_leaves_no_entries(db):
    count_before, sealed_before = AuditEntry.objects.count(), seal_count()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            with audit.deferred():
                rec("deferred.lost", 1)
                rec("deferred.lost", 2)
                raise RuntimeError("the write failed")
    assert actions("deferred.lost") == []
    assert AuditEntry.objects.count() == count_before and seal_count() == sealed_before
    assert audit.verify() == []
    # the buffer was dropped: the next record (no deferred block) goes straight into the chain
    after = rec("deferred.after")
    assert after.pk is not None and actions("deferred.") == ["deferred.after"]
    assert audit.verify() == []


def test_exception_caught_inside_the_transaction_still_discards_the_buffer(db):
    with transaction.atomic():
        with pytest.raises(ValueError):
            with audit.deferred():
                rec("deferred.lost")
                raise ValueError("refused")
        kept = rec("deferred.kept")
    assert actions("deferred.") == ["deferred.kept"]
    assert AuditEntry.objects.get(pk=kept.pk).hash == kept.hash
    assert audit.verify() == []


def test_nested_blocks_append_once_at_the_outermost_end(db):
    count_before = AuditEntry.objects.count()
    with transaction.atomic():
        with audit.deferred():
            a = rec("deferred.a")
            with audit.deferred():
                b = rec("deferred.b")
                with audit.deferred():
                    c = rec("deferred.c")
                assert actions("deferred.") == []
            assert actions("deferred.") == []  # the inner blocks did not append
            d = rec("deferred.d")
            assert actions("deferred.") == []
        assert actions("deferred.") == ["deferred.a", "deferred.b", "deferred.c", "deferred.d"]
    assert AuditEntry.objects.count() == count_before + 4
    assert_linked([a, b, c, d])
    assert audit.verify() == []


def test_record_outside_deferred_is_appended_at_once(db):
    with transaction.atomic():
        entry = rec("direct.one")
        assert entry.pk is not None
        assert actions("direct.") == ["direct.one"]
    assert AuditEntry.objects.get(pk=entry.pk).hash == entry.hash
    other = rec("direct.two")  # no outer transaction of its own
    assert actions("direct.") == ["direct.one", "direct.two"]
    assert_linked([entry, other])
    assert audit.verify() == []


def test_many_appends_in_a_row_keep_the_chain_intact(db):
    count_before = AuditEntry.objects.count()
    recorded = []
    for round_ in range(4):
        with transaction.atomic(), audit.deferred():
            recorded += [rec(f"row.{round_}.{i}") for i in range(3)]
        recorded.append(rec(f"row.{round_}.direct"))
        with transaction.atomic(), audit.deferred():
            pass  # an empty block appends nothing
    assert AuditEntry.objects.count() == count_before + 16
    assert actions("row.") == [e.action for e in recorded]
    assert_linked(recorded)
    seal = AuditSeal.objects.get(pk=1)
    assert seal.count == AuditEntry.objects.count() and seal.last_id == recorded[-1].pk
    assert audit.verify() == []


def test_deferred_entries_are_redacted_like_direct_ones(db):
    with transaction.atomic(), audit.deferred():
        entry = audit.record(
            "tester",
            "deferred.redact",
            None,
            object_type="test",
            object_id="1",
            after={"phone": "13912345678"},
        )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert "13912345678" not in str(stored.summary)
    assert audit.verify() == []


def test_deferred_buffer_is_per_thread(db):
    import threading

    seen = []
    with transaction.atomic(), audit.deferred():
        rec("deferred.main")
        # another thread has no deferred block of its own: it must not see (or fill) this buffer
        worker = threading.Thread(target=lambda: seen.append(getattr(audit._local, "buffer", None)))
        worker.start()
        worker.join(5)
    assert seen == [None]
    assert actions("deferred.") == ["deferred.main"]


def test_entries_of_a_rolled_back_savepoint_inside_a_nested_block_are_not_appended(db):
    """Without deferred(), an entry recorded in a savepoint that rolls back disappears with it. A
    nested deferred() block must do the same with the entries it added to the shared buffer, or the
    log would record an action that never happened (services._retrying nested in another service's
    attempt, the caller catching the DomainError)."""
    with transaction.atomic(), audit.deferred():
        rec("deferred.kept")
        try:
            with transaction.atomic(), audit.deferred():  # what services._retrying does when nested
                rec("deferred.rolled_back")
                raise ValueError("refused")
        except ValueError:
            pass
    assert actions("deferred.") == ["deferred.kept"]
