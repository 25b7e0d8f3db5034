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
import logging  # noqa: E402
import re  # noqa: E402
from typing import Any  # noqa: E402

_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


# query parameters whose value is personal data or a secret, whatever its form (a partial ID
# number, a 查询码, a URL-encoded value): `?id_number=6301…` → `?id_number=***`
_SENSITIVE_PARAM_RE = re.compile(
    r"(?i)((?:^|[?&;\s])[\w.\-]*(?:id_number|idnumber|id_no|idcard|phone|mobile|secret|password|passwd|totp)"
    r"[\w.\-]*=)([^&;#\s\"']+)"
)


def redact(text: str) -> str:
    """Mask every resident ID number and mobile number found in a free text, and the values of
    query parameters that carry personal data or secrets."""
    if not text or not isinstance(text, str):
        return text
    text = _ID_RE.sub(lambda m: m.group(1) + "*" * 8 + m.group(3), text)
    text = _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    return _SENSITIVE_PARAM_RE.sub(lambda m: m.group(1) + "***", text)


def redact_data(value: Any) -> Any:
    """redact() applied to every string inside dicts / lists (audit before/after summaries)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(v) for v in value]
    return value


class RedactingFilter:
    """logging filter: no full ID number or phone ever reaches a log line — neither in the message
    nor in its arguments (uvicorn's access log passes the request line, query string included, as
    an argument and formats it itself, so arguments are redacted one by one and keep their shape)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        if record.name == "uvicorn.access":
            return True  # its formatter unpacks the (already redacted) arguments
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler
            return True
        redacted = redact(message)
        if redacted != message:  # something in an argument's str() (an object): flatten
            record.msg, record.args = redacted, None
        return True


def uvicorn_log_config(level: str = "warning") -> dict[str, Any]:
    """uvicorn's logging set-up with the RedactingFilter on its handlers (server and access log),
    for `yimen serve`: a request line such as `GET /api/x?id_number=6301…&phone=138…` is logged
    with the numbers masked, at whatever level the access log is turned on."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact_personal_data": {"()": "yimen.core.masking.RedactingFilter"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact_personal_data"]
    config["loggers"]["uvicorn"]["level"] = level.upper()
    config["loggers"]["uvicorn.access"]["level"] = level.upper()
    return config
