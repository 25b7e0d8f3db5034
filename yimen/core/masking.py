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
