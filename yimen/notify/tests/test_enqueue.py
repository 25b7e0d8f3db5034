"""enqueue: part of the caller's transaction, idempotent on the dedupe key, quiet hours."""

import pytest
from django.db import transaction

from yimen.core.fields import is_encrypted
from yimen.notify import messages, selectors
from yimen.notify.models import OutboxMessage
from yimen.notify.services import enqueue

PARAMS = {"at": "10:00"}


def test_rolled_back_transaction_leaves_nothing(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        assert enqueue(to="13800138000", template="outbox.test", params=PARAMS, dedupe_key="k1")
        raise RuntimeError("the change fails")
    assert not OutboxMessage.objects.exists()


def test_dedupe_key_queues_once(db):
    first = enqueue(to="13800138000", template="outbox.test", params=PARAMS, dedupe_key="k1")
    again = enqueue(to="13900139000", template="outbox.test", params=PARAMS, dedupe_key="k1")
    assert first is not None and again is None
    assert OutboxMessage.objects.count() == 1


def test_recipient_is_stored_protected_and_shown_masked(db):
    from django.db import connection

    msg = enqueue(to="+86 138-0013-8000", template="outbox.test", params=PARAMS, dedupe_key="k")
    assert msg is not None and msg.recipient == "13800138000"
    with connection.cursor() as cur:
        cur.execute("SELECT recipient FROM notify_outboxmessage WHERE id = %s", [msg.pk])
        assert is_encrypted(cur.fetchone()[0])
    assert selectors.as_row(msg)["to"] == "138****8000"
    assert list(selectors.messages_for(phone="13800138000")) == [msg]


def test_no_mobile_number_queues_nothing(db):
    assert enqueue(to="", template="outbox.test", params=PARAMS, dedupe_key="a") is None
    assert enqueue(to="0971-1234567", template="outbox.test", params=PARAMS, dedupe_key="b") is None


def test_unknown_template_or_missing_parameter_is_a_programming_error(db):
    with pytest.raises(messages.TemplateError):
        enqueue(to="13800138000", template="no.such", params={}, dedupe_key="a")
    with pytest.raises(messages.TemplateError):
        enqueue(to="13800138000", template="outbox.test", params={}, dedupe_key="b")


def test_quiet_hours_push_a_message_to_eight_in_the_morning(db, clock):
    clock.freeze(clock.at(2026, 3, 2, 22, 30))
    msg = enqueue(to="13800138000", template="outbox.test", params=PARAMS, dedupe_key="late")
    assert msg is not None
    assert msg.next_attempt_at == clock.at(2026, 3, 3, 8, 0)
    clock.freeze(clock.at(2026, 3, 3, 7, 59))
    early = enqueue(to="13800138000", template="outbox.test", params=PARAMS, dedupe_key="early")
    assert early is not None and early.next_attempt_at == clock.at(2026, 3, 3, 8, 0)
    clock.freeze(clock.at(2026, 3, 3, 12, 0))
    noon = enqueue(to="13800138000", template="outbox.test", params=PARAMS, dedupe_key="noon")
    assert noon is not None and noon.next_attempt_at == clock.at(2026, 3, 3, 12, 0)


def test_every_template_is_signed_and_fits_one_segment_without_its_parameters():
    for code, template in messages.TEMPLATES.items():
        assert template.text.startswith(messages.SIGN), code
        fixed = template.text
        for name in template.placeholders:
            fixed = fixed.replace("{" + name + "}", "")
        assert len(fixed) <= messages.SEGMENT, code


def test_render_fills_the_placeholders_in_order():
    text = messages.render("case.terminated", {"receipt": "CX1", "deadline": "2026-03-02"})
    assert text == (
        "【西宁政务服务】您的办件CX1因容缺材料未在承诺期限2026-03-02前补交，已终止办理。"
    )
    assert messages.ordered_params("case.terminated", {"deadline": "d", "receipt": "r"}) == [
        "r",
        "d",
    ]
