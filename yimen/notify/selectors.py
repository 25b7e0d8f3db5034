"""Reads of the outbox: lists for the command line and the admin, numbers always masked."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from yimen.core.fields import protected_lookup_hash

from . import messages
from .models import OutboxMessage


def text_of(msg: OutboxMessage) -> str:
    """The rendered text (a sensitive message's text is never shown: its template code only)."""
    if msg.sensitive:
        return f"（敏感消息 {msg.template}，内容不显示）"
    try:
        return messages.render(msg.template, msg.params)
    except messages.TemplateError:
        return f"（模板 {msg.template} 已不存在）"


def messages_for(template: str | None = None, phone: str | None = None) -> QuerySet[OutboxMessage]:
    from .services import normalize_phone

    qs = OutboxMessage.objects.all()
    if template:
        qs = qs.filter(template=template)
    if phone is not None:
        qs = qs.filter(recipient_hash=protected_lookup_hash(normalize_phone(phone) or phone))
    return qs.order_by("id")


def as_row(msg: OutboxMessage) -> dict[str, Any]:
    """The contract of `yimen outbox list --json` (docs/notifications.md)."""
    return {
        "id": msg.pk,
        "channel": msg.channel,
        "to": msg.to_masked,
        "template": msg.template,
        "status": msg.status,
        "dedupe_key": msg.dedupe_key,
        "created_at": msg.created_at.isoformat(),
        "sent_at": msg.sent_at.isoformat() if msg.sent_at else None,
    }
