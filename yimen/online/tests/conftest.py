"""网上申报 test helpers: files stored in a temporary root, a frozen clock on a working day, sign-in
by SMS code (the code read from the outbox, as the phone would show it), small real files."""

from datetime import date

import pytest

from yimen.core import clock as project_clock
from yimen.core.validators import make_resident_id

PERSON_ID = make_resident_id("630104", date(1985, 4, 12), 321, "女")
OTHER_ID = make_resident_id("630104", date(1990, 1, 2), 77, "男")
PHONE, OTHER_PHONE = "13900139000", "13700137000"
ITEM = "XN-WS-001"  # 公共场所卫生许可证核发（新办）

# Minimal real files: the magic bytes are what counts, the rest makes them non-trivial.
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40


@pytest.fixture
def online_env(db, demo, clock, settings, tmp_path):
    """Tue 2022-03-15 10:00; uploads under a temporary root."""
    settings.YIMEN_ONLINE_FILES_ROOT = tmp_path / "online-files"
    clock.freeze(project_clock.at(2022, 3, 15, 10, 0))
    return tmp_path


def code_for(phone):
    from yimen.core.fields import protected_lookup_hash
    from yimen.notify.models import OutboxMessage

    return (
        OutboxMessage.objects.filter(
            template="portal.mine_code", recipient_hash=protected_lookup_hash(phone)
        )
        .order_by("-id")
        .first()
        .params["code"]
    )


def sign_in(client, id_number=PERSON_ID, phone=PHONE, kind="person"):
    r = client.post(
        "/online/", {"action": "send", "id_number": id_number, "phone": phone, "kind": kind}
    )
    assert r.status_code == 200, r.content.decode()[:500]
    r = client.post(
        "/online/",
        {
            "action": "verify",
            "id_number": id_number,
            "phone": phone,
            "kind": kind,
            "code": code_for(phone),
        },
    )
    assert r.status_code == 302, r.content.decode()[:500]
    return client


def approver_ws(n=1):
    from yimen.staff.testing import make_staff

    return make_staff("approver", department="XN-WS")
