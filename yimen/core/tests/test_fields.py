"""ProtectedCharField: encrypted at rest, transparent on read; keyed lookup hashes."""

import pytest
from django.core.exceptions import FieldError, ValidationError
from django.db import connection

from yimen.core import fields
from yimen.core.fields import ProtectedDataError, decrypt, encrypt, protected_lookup_hash
from yimen.staff.models import Staff
from yimen.staff.testing import make_staff


def raw_phone(staff):
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM staff_staff WHERE id = %s", [staff.pk])
        return cursor.fetchone()[0]


def test_round_trip_and_random_nonce():
    a, b = encrypt("13812345678"), encrypt("13812345678")
    assert a != b  # fresh nonce each time
    assert a.startswith("enc1:") and "13812345678" not in a
    assert decrypt(a) == decrypt(b) == "13812345678"
    assert decrypt("plain-legacy") == "plain-legacy"
    assert decrypt(encrypt("张三 青海省西宁市")) == "张三 青海省西宁市"


@pytest.mark.django_db
def test_stored_encrypted_and_read_plain():
    staff = make_staff("clerk")
    staff.phone = "13812345678"
    staff.save()
    stored = raw_phone(staff)
    assert stored.startswith("enc1:") and "13812345678" not in stored and "5678" not in stored
    assert Staff.objects.get(pk=staff.pk).phone == "13812345678"
    assert Staff.objects.filter(pk=staff.pk).values_list("phone", flat=True)[0] == "13812345678"


@pytest.mark.django_db
def test_empty_value_stays_empty_and_is_queryable():
    staff = make_staff("clerk")
    assert raw_phone(staff) == ""
    assert Staff.objects.filter(pk=staff.pk, phone="").exists()


@pytest.mark.django_db
def test_plaintext_lookup_is_refused():
    with pytest.raises(FieldError):
        list(Staff.objects.filter(phone="13812345678"))
    with pytest.raises(FieldError):
        list(Staff.objects.filter(phone__contains="1381"))


@pytest.mark.django_db
def test_max_length_applies_to_plain_value():
    staff = make_staff("clerk")
    staff.phone = "1" * 21
    with pytest.raises(ValidationError):
        staff.full_clean()


def test_lookup_hash_is_keyed_normalised_and_stable():
    h = protected_lookup_hash("63010419900101123x")
    assert h == protected_lookup_hash(" 63010419900101123X ")
    assert len(h) == 64 and h != protected_lookup_hash("630104199001011230")
    import hashlib

    assert h != hashlib.sha256(b"63010419900101123X").hexdigest()  # keyed, not a bare hash
    assert protected_lookup_hash("") == "" and protected_lookup_hash(None) == ""


def test_key_rotation_reads_old_values(monkeypatch):
    monkeypatch.setenv("YIMEN_DATA_KEY", "old-key-" + "x" * 40)
    old_cipher = encrypt("13900001111")
    monkeypatch.setenv("YIMEN_DATA_KEY", "new-key-" + "y" * 40)
    with pytest.raises(ProtectedDataError):
        decrypt(old_cipher)  # old key no longer configured
    monkeypatch.setenv("YIMEN_DATA_KEYS_OLD", "old-key-" + "x" * 40)
    assert decrypt(old_cipher) == "13900001111"
    new_cipher = encrypt("13900001111")
    assert (
        fields.stored_key_id(new_cipher)
        == fields.current_key_id()
        != fields.stored_key_id(old_cipher)
    )


def test_tampered_ciphertext_is_detected():
    c = encrypt("13812345678")
    body = c.rsplit(":", 1)[1]
    flipped = body[:-3] + ("A" if body[-3] != "A" else "B") + body[-2:]
    with pytest.raises(ProtectedDataError):
        decrypt(c.rsplit(":", 1)[0] + ":" + flipped)


@pytest.mark.django_db
def test_protect_rekey_command(monkeypatch):
    import json
    from io import StringIO

    from django.core.management import call_command

    monkeypatch.setenv("YIMEN_DATA_KEY", "old-key-" + "x" * 40)
    staff = make_staff("clerk")
    staff.phone = "13700001111"
    staff.save()
    old_kid = fields.stored_key_id(raw_phone(staff))
    monkeypatch.setenv("YIMEN_DATA_KEY", "new-key-" + "y" * 40)
    from django.conf import settings

    # the demo rows were written with the test run's own data key (settings.YIMEN_DATA_KEY): without it, rekey stops with a clear error
    monkeypatch.setenv("YIMEN_DATA_KEYS_OLD", "old-key-" + "x" * 40)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YIMEN_DATA_KEYS_OLD"):
        call_command("protect", "rekey", stdout=StringIO())
    monkeypatch.setenv("YIMEN_DATA_KEYS_OLD", "old-key-" + "x" * 40 + "," + settings.YIMEN_DATA_KEY)
    out = StringIO()
    call_command("protect", "status", "--json", stdout=out)
    row = [r for r in json.loads(out.getvalue())["fields"] if r["field"] == "staff.Staff.phone"][0]
    assert row["stale"] >= 1 and row["counts"].get(old_kid, 0) >= 1
    call_command("protect", "rekey", stdout=StringIO())
    assert fields.stored_key_id(raw_phone(staff)) == fields.current_key_id() != old_kid
    assert Staff.objects.get(pk=staff.pk).phone == "13700001111"
