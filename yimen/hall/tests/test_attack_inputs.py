"""Issue 14 attacker pass over the hall: bad input at its public endpoints is a clear 4xx."""

from .conftest import ELDER_ID
from .test_presence_and_cards import _post_card


def test_presence_code_with_non_ascii_characters_is_refused_not_a_500(at_cx, client):
    # compare_digest raises TypeError on a non-ASCII str: the code's alphabet is checked first
    for code in ("ÄBCDEFGH", "%C3%84BCDEFGH", "ＡＢＣＤＥＦＧＨ", "abcdefg1", "A" * 9):
        r = client.get(f"/hall/here/XN-CX/{code}/")
        assert r.status_code == 403, (code, r.status_code)
        assert "yimen_here" not in r.cookies
        r = client.post(f"/hall/here/XN-CX/{code}/", {"arrival": "x" * 16})
        assert r.status_code == 403, (code, r.status_code)


def test_kiosk_card_reference_that_is_not_an_id(at_cx, client, pair_device):
    """The kiosk form's card field: '²' passed str.isdigit() and then int() failed (a 500);
    a number too big for the database overflowed. Both are now simply "no card"."""
    _device, token = pair_device(client)
    assert _post_card(client, token, name="马秀兰", id_number=ELDER_ID).status_code == 201
    for card in ("²", "١٢", "9" * 30, "-1", "1e3"):
        r = client.post("/queue/kiosk/XN-CX/", {"item": "XN-RS-004", "card": card})
        assert r.status_code in (200, 302), (card, r.status_code)
    # none of them took the pending read: it is still there for the real form
    assert client.get("/hall/idcard/XN-CX/").json()["card"]["name"] == "马**"
