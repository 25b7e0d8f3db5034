"""Who is applying: the signed-in identity of 网上申报, behind one interface with two providers.

- `SmsCodeProvider`: ID number (or USCC) + phone + a one-time SMS code — the portal's “我的”
  code flow (portal/mine.py: limits, hashed codes, the outbox), with the code sent to the phone
  given (it proves the phone; the owner is the pair, never the ID number alone).
- `OidcProvider` (oidc.py): the province's 统一身份认证 by OpenID Connect (Authlib).
Both end in `sign_in(request, Identity)`; the session holds the identity for SESSION_MINUTES.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from yimen.core import clock
from yimen.core.fields import protected_lookup_hash

SESSION_KEY = "yimen_online"
SESSION_MINUTES = 60


@dataclass(frozen=True)
class Identity:
    kind: str  # person / company
    id_hash: str  # protected_lookup_hash of the ID number or USCC
    owner: str  # keyed hash of ID + phone: what the applications belong to
    source: str  # sms / oidc
    phone_masked: str = ""
    name: str = ""


class SmsCodeProvider:
    source = "sms"

    def request_code(self, id_number: str, phone: str, ip: str, *, kind="person", request=None):
        from yimen.portal import mine

        mine.request_code(id_number, phone, ip, request=request, known_only=False, kind=kind)
        return f"验证码已发送到您的手机（{mine.CODE_MINUTES} 分钟内有效）。"

    def verify(
        self, id_number: str, phone: str, code: str, ip: str, *, kind="person", request=None
    ):
        from yimen.core.masking import mask_phone
        from yimen.portal import mine

        id_hash, owner = mine.verify_pair(id_number, phone, code, ip, request=request, kind=kind)
        return Identity(kind, id_hash, owner, self.source, mask_phone(phone))


def identity_from_claims(id_number: str, phone: str, kind: str, source: str, name: str = ""):
    """An identity from a verified assertion (OIDC claims): the same owner key as the SMS flow,
    so one person sees the same applications whichever way they signed in."""
    from yimen.core.masking import mask_phone
    from yimen.core.validators import normalize_id_number
    from yimen.notify.services import normalize_phone
    from yimen.portal import mine

    idn = normalize_id_number(id_number) if kind == "person" else id_number.strip().upper()
    id_hash = protected_lookup_hash(idn)
    mobile = normalize_phone(phone) or ""
    return Identity(kind, id_hash, mine._key(id_hash, mobile), source, mask_phone(mobile), name)


def sign_in(request, identity: Identity) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = {
        **asdict(identity),
        "until": int((clock.now() + timedelta(minutes=SESSION_MINUTES)).timestamp()),
    }


def current(request) -> Identity | None:
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict) or data.get("until", 0) < clock.now().timestamp():
        return None
    fields = {k: data.get(k, "") for k in Identity.__dataclass_fields__}
    return Identity(**fields) if fields["owner"] else None


def sign_out(request) -> None:
    request.session.pop(SESSION_KEY, None)
