"""Protected model fields for personal data (ID numbers, phones, addresses).

`ProtectedCharField` stores its value encrypted at rest (AES-256-GCM, random 96-bit nonce) and
is transparent to the ORM: you assign and read plain strings. The stored form is

    enc1:<key id>:<base64url(nonce + ciphertext + tag)>

The key comes from the `YIMEN_DATA_KEY` environment variable (any long random string); it is never
derived from SECRET_KEY or any default. Production mode refuses to start without it (yimen/cli.py);
development mode uses a random key kept in a local file (settings.py). Keys are never used directly: HKDF-SHA256 derives
one sub-key for encryption and another for lookup hashes. Key rotation: put the new key in
`YIMEN_DATA_KEY` and the old one(s) in `YIMEN_DATA_KEYS_OLD` (comma-separated); values written
with an old key are still read, new writes use the new key, and `yimen protect rekey`
re-encrypts old rows (`yimen protect status` shows counts per key; see docs/security.md).

Because every encryption uses a fresh nonce, you cannot filter on the encrypted column. For an
exact lookup add a keyed-hash column next to it:

    id_number = ProtectedCharField("身份证号", max_length=18, blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)

    def save(self, *a, **kw):
        self.id_number_hash = protected_lookup_hash(self.id_number)
        super().save(*a, **kw)

    Applicant.objects.filter(id_number_hash=protected_lookup_hash(typed_value))

`protected_lookup_hash` normalises (strip, remove spaces, upper-case) so "630104…x" and
"630104…X" hash alike. The lookup-hash key is separate from the encryption key; the hash is
HMAC-SHA256, so a database dump alone does not let anyone enumerate ID numbers.
"""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django import forms
from django.conf import settings
from django.core import validators
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact, IsNull

PREFIX = "enc1:"


class ProtectedDataError(RuntimeError):
    """A protected value cannot be decrypted (wrong or missing key). A configuration error."""


def _master_keys() -> list[bytes]:
    """The current master key first, then old ones still accepted for reading (and, in development
    mode only, the public key of old demo databases: settings.YIMEN_DATA_KEYS_READ_ONLY)."""
    current = os.environ.get("YIMEN_DATA_KEY") or getattr(settings, "YIMEN_DATA_KEY", "")
    if not current:
        raise ProtectedDataError(
            "未配置个人数据密钥 YIMEN_DATA_KEY：请设置后再启动（见 docs/security.md）。"
        )
    old = os.environ.get("YIMEN_DATA_KEYS_OLD") or getattr(settings, "YIMEN_DATA_KEYS_OLD", "")
    keys = [current] + [k.strip() for k in str(old).split(",") if k.strip()]
    keys += [k for k in getattr(settings, "YIMEN_DATA_KEYS_READ_ONLY", []) if k and k not in keys]
    return [k.encode() for k in keys]


@lru_cache(maxsize=16)
def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"yimen-protected-data", info=purpose
    ).derive(master)


def _key_id(master: bytes) -> str:
    return hashlib.sha256(b"yimen-key-id:" + master).hexdigest()[:8]


def _keyring() -> dict[str, bytes]:
    return {_key_id(m): _derive(m, b"aes-256-gcm") for m in _master_keys()}


def current_key_id() -> str:
    return _key_id(_master_keys()[0])


def encrypt(plain: str) -> str:
    master = _master_keys()[0]
    nonce = os.urandom(12)
    sealed = AESGCM(_derive(master, b"aes-256-gcm")).encrypt(nonce, plain.encode("utf-8"), None)
    return f"{PREFIX}{_key_id(master)}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def is_encrypted(stored) -> bool:
    return isinstance(stored, str) and stored.startswith(PREFIX)


def stored_key_id(stored: str) -> str:
    return stored[len(PREFIX) :].split(":", 1)[0] if is_encrypted(stored) else ""


def decrypt(stored: str) -> str:
    if not is_encrypted(stored):
        return stored  # legacy plain value (written before the field was protected)
    try:
        kid, body = stored[len(PREFIX) :].split(":", 1)
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
    except (ValueError, UnicodeError) as exc:
        raise ProtectedDataError("受保护数据格式损坏，无法解密。") from exc
    key = _keyring().get(kid)
    if key is None:
        raise ProtectedDataError(
            f"找不到密钥 {kid} 来解密受保护数据：请检查 YIMEN_DATA_KEY / YIMEN_DATA_KEYS_OLD 配置。"
        )
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], None).decode("utf-8")
    except InvalidTag as exc:
        raise ProtectedDataError("受保护数据校验失败（数据被篡改或密钥错误）。") from exc


def normalize_for_lookup(value) -> str:
    return str(value or "").strip().replace(" ", "").upper()


def protected_lookup_hash(value) -> str:
    """Keyed hash (HMAC-SHA256, hex) of a normalised value for exact lookups; "" for empty input."""
    norm = normalize_for_lookup(value)
    if not norm:
        return ""
    key = _derive(_master_keys()[0], b"lookup-hmac")
    return hmac.new(key, norm.encode("utf-8"), hashlib.sha256).hexdigest()


class _ProtectedExact(Exact):
    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise FieldError(
                "受保护字段不能按明文精确查询：请改用对应的 *_hash 字段与 protected_lookup_hash()。"
            )
        return super().get_prep_lookup()


class ProtectedCharField(models.TextField):
    """A short text (ID number, phone …) encrypted at rest; reads and writes plain strings.

    `max_length` limits the *plain* value (validation and forms); the column is TEXT because the
    ciphertext is longer. Only `isnull` and `exact=""` lookups are allowed."""

    description = "加密存储的文本"

    def __init__(self, *args, max_length=None, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)
        if self.max_length is not None:
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def to_python(self, value):
        if isinstance(value, str) and is_encrypted(value):
            return decrypt(value)
        return super().to_python(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        if is_encrypted(value):
            return value
        return encrypt(str(value))

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return _ProtectedExact
        if lookup_name == "isnull":
            return IsNull
        return None  # Django raises FieldError "Unsupported lookup"

    def formfield(self, **kwargs):
        defaults = {
            "form_class": forms.CharField,
            "max_length": self.max_length,
            "widget": forms.TextInput,
        }
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)
