"""Masking of personal data for display: 630104********1234, 138****5678, 张*."""


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    v = str(value)
    if len(v) <= 10:
        return v[:2] + "*" * max(len(v) - 4, 0) + v[-2:]
    return v[:6] + "*" * (len(v) - 10) + v[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    v = str(value)
    if len(v) < 7:
        return v[:1] + "*" * (len(v) - 1)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def mask_name(value: str | None) -> str:
    if not value:
        return ""
    v = str(value).strip()
    return v[0] + "*" * max(len(v) - 1, 1) if len(v) > 1 else v + "*"


# --- redaction of free text and structured data (logs, audit summaries) ------------------------
import re  # noqa: E402

_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def redact(text: str) -> str:
    """Mask every resident ID number and mobile number found in a free text."""
    if not text or not isinstance(text, str):
        return text
    text = _ID_RE.sub(lambda m: m.group(1) + "*" * 8 + m.group(3), text)
    return _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


def redact_data(value):
    """redact() applied to every string inside dicts / lists (audit before/after summaries)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(v) for v in value]
    return value


class RedactingFilter:
    """logging filter: no full ID number or phone ever reaches a log line."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
