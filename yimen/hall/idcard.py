"""Second-generation resident ID cards (二代身份证) read in the hall.

The reader sits on the kiosk's, desk's or window's PC. A small bridge there (`yimen hall
idcard-bridge`, docs/queue.md) reads a card from the reader's local service and posts it to
`POST /hall/idcard/<outlet>/` with that place's token: the paired device's token (kiosk, desk)
or the clerk's own staff token (window). The page of that place polls `GET` the same address
and gets the read:
- a kiosk (public screen): the masked name, the age and whether it reaches the outlet's
  priority age — never the ID number; the kiosk's form sends the read's id and the ticket is
  issued with the card's ID number (green channel by age, no typing);
- staff (guide desk, window intake): name and ID number, to fill the applicant.
A read is taken once and expires after READ_SECONDS; expired reads are deleted on the next read.
`yimen hall idcard-sim` posts a card like the bridge does (demo and tests; labelled simulator).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction

from yimen.core import audit, clock
from yimen.core.errors import Forbidden, ValidationFailed
from yimen.core.masking import mask_name
from yimen.core.validators import age_on, check_resident_id, normalize_id_number, parse_id
from yimen.staff.authz import authorize, staff_of

from .models import CardRead

READ_SECONDS = 90  # a read not taken by then is gone
PURGE_SECONDS = 300


@dataclass(frozen=True)
class Card:
    name: str
    id_number: str


def reader_key(principal) -> str:
    """The reading place: a device token (kiosk, desk) or a member of staff (window)."""
    token = getattr(principal, "token", None)
    if getattr(principal, "device_outlet", None) is not None and token is not None:
        return f"token:{token.pk}"
    staff = staff_of(principal)
    if staff is not None:
        return f"staff:{staff.pk}"
    raise Forbidden("读卡需要设备令牌或工作人员令牌。", code="no_reader")


def _check_place(principal, outlet) -> None:
    device_outlet = getattr(principal, "device_outlet", None)
    if device_outlet is not None:
        if device_outlet.pk != outlet.pk:
            raise Forbidden("该设备不属于此网点。", code="other_outlet")
        return
    authorize(staff_of(principal), "hall.card", outlet=outlet.pk)


def deliver(principal, outlet, data: dict, *, request=None) -> CardRead:
    """A card read by the reader of `principal` at `outlet` (the bridge's POST)."""
    _check_place(principal, outlet)
    if not isinstance(data, dict):
        raise ValidationFailed("读卡数据应为 JSON 对象。", code="bad_card")
    name = str(data.get("name") or "").strip()
    id_number = normalize_id_number(str(data.get("id_number") or ""))
    if not 1 <= len(name) <= 40:
        raise ValidationFailed("读卡数据缺少姓名。", code="bad_card")
    check = check_resident_id(id_number)
    if not check:
        raise ValidationFailed(f"读到的身份证号码无效：{check.message}", code="bad_card")
    now = clock.now()
    key = reader_key(principal)
    with transaction.atomic():
        CardRead.objects.filter(read_at__lt=now - timedelta(seconds=PURGE_SECONDS)).delete()
        CardRead.objects.filter(reader=key, taken_at__isnull=True).update(taken_at=now)
        read = CardRead.objects.create(
            reader=key, outlet=outlet, name=name, id_number=id_number, read_at=now
        )
        audit.record(
            staff_of(principal) or f"device:{outlet.code}",
            "hall.card_read",
            read,
            after={"name": mask_name(name), "reader": key},
            request=request,
        )
    return read


def pending(key: str, outlet) -> CardRead | None:
    """The latest read of this reader not yet taken and not expired."""
    since = clock.now() - timedelta(seconds=READ_SECONDS)
    return (
        CardRead.objects.filter(
            reader=key, outlet=outlet, taken_at__isnull=True, read_at__gte=since
        )
        .order_by("-pk")
        .first()
    )


def take(device, read_id: str) -> Card | None:
    """Take the kiosk's read `read_id` (once): the card, or None when there is none."""
    pk = parse_id(read_id)  # ASCII digits within the id range ("²" or 30 digits: no read)
    if device is None or pk is None:
        return None
    since = clock.now() - timedelta(seconds=READ_SECONDS)
    with transaction.atomic():
        read = (
            CardRead.objects.select_for_update()
            .filter(
                pk=pk,
                reader=f"token:{device.token_id}",
                taken_at__isnull=True,
                read_at__gte=since,
            )
            .first()
        )
        if read is None:
            return None
        read.taken_at = clock.now()
        read.save(update_fields=["taken_at"])
    return Card(read.name, read.id_number)


def kiosk_view(read: CardRead, outlet) -> dict:
    """What a public kiosk may show of a read: masked name, age, priority — no ID number."""
    birth = check_resident_id(read.id_number).birth_date
    age = age_on(birth, clock.local(clock.now()).date()) if birth else None
    return {
        "read_id": read.pk,
        "name": mask_name(read.name),
        "age": age,
        "priority": age is not None and age >= outlet.options.priority_age,
    }


def staff_view(read: CardRead) -> dict:
    return {"read_id": read.pk, "name": read.name, "id_number": read.id_number}


def take_read(key: str, read_id: int) -> None:
    """Mark a read handed to staff (desk, window) as taken."""
    CardRead.objects.filter(pk=read_id, reader=key).update(taken_at=clock.now())
