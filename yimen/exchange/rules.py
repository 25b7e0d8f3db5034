"""Pure rules of the exchange: signatures, national item codes, channels, reconciliation.
No database, no clock, no HTTP."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from yimen.core.validators import check_credit_code

SIGNATURE_HEADER = "X-Yimen-Signature"
CHINA = timezone(timedelta(hours=8))


def sign(body: bytes, secret: str) -> str:
    """The header value: 'sha256=' + hex HMAC-SHA256 of the exact body bytes."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, header: str) -> bool:
    """Constant-time check of a signature header (an empty secret never verifies)."""
    if not secret or not header:
        return False
    # as bytes: compare_digest raises TypeError on a non-ASCII str (a header byte like 0xE9)
    given = header.strip().encode("utf-8", "surrogateescape")
    return hmac.compare_digest(sign(body, secret).encode(), given)


def iso(at: datetime) -> str:
    """ISO 8601 in China time with its offset: '2026-03-02T10:00:00+08:00'."""
    return at.astimezone(CHINA).replace(microsecond=0).isoformat()


# Our rating channels → the channel codes of the 好差评 document
CHANNELS = {
    "window": "window_device",  # 窗口评价器 / the window tablet
    "api": "window_device",  # a terminal (kiosk, tablet) through the API
    "qr": "qr",
    "portal": "portal",
    "callback": "hotline",  # 电话回访 and 12345
    "sms": "sms",
}


def channel_code(channel: str) -> str:
    return CHANNELS.get(channel, "portal")


# --- GB/T 39554.1 item codes ---------------------------------------------------------------------
# 基本编码: 12 digits. 实施编码: the implementing body's 统一社会信用代码 (18) + 行使层级 (1 digit,
# 1 国家级 … 6 村(社区)级) + the 基本编码 (12) = 31 characters, as on the national platform
# (e.g. 11440000006939756B2440101007000: USCC 11440000006939756B, 2 省级, 440101007000); a
# 业务办理项 adds its 2-digit number (33 characters). All 2,262 codes of the Guangdong public
# catalog in yimen/data/sources follow this.
LEVELS = {
    "1": "国家级",
    "2": "省级",
    "3": "市级",
    "4": "县级",
    "5": "乡镇（街道）级",
    "6": "村（社区）级",
}


def check_basic_code(code: str) -> str:
    """'' when valid, else the Chinese reason."""
    if len(code) != 12 or not code.isdigit():
        return f"基本编码「{code}」应为 12 位数字。"
    return ""


def check_implementation_code(code: str, basic_code: str = "") -> str:
    """'' when valid, else the Chinese reason. A USCC whose check digit does not match is refused:
    a national code is copied, never typed, so a wrong digit is a wrong code."""
    if len(code) not in (31, 33):
        return (
            f"实施编码「{code}」应为 31 位（统一社会信用代码 18 位 + 行使层级 1 位 + 基本编码 12 位），"
            "业务办理项再加 2 位。"
        )
    uscc, level, basic, handling = code[:18], code[18], code[19:31], code[31:]
    if handling and not handling.isdigit():
        return f"实施编码末 2 位（业务办理项）应为数字，实为「{handling}」。"
    check = check_credit_code(uscc)
    if not check.verified:
        return f"实施编码的前 18 位不是有效的统一社会信用代码（{uscc}）。"
    if level not in LEVELS:
        return f"实施编码第 19 位（行使层级）应为 1～6，实为「{level}」。"
    if problem := check_basic_code(basic):
        return problem
    if basic_code and basic != basic_code:
        return f"实施编码中的基本编码 {basic} 与基本编码 {basic_code} 不一致。"
    return ""


def item_code(local: str, basic: str = "", implementation: str = "") -> str:
    """The code a document carries: the national 实施编码 where known, else the 基本编码, else ours."""
    return implementation or basic or local


# --- 电子证照 types of shareable materials -------------------------------------------------------
# (words in the material's name → the library's licence type); only materials marked 可数据共享
# are asked for.
LICENCE_TYPES = [
    ("居民身份证", "居民身份证"),
    ("身份证", "居民身份证"),
    ("户口", "居民户口簿"),
    ("营业执照", "营业执照"),
    ("结婚证", "结婚证"),
    ("不动产权", "不动产权证书"),
    ("房产证", "不动产权证书"),
    ("出生医学证明", "出生医学证明"),
    ("残疾人证", "残疾人证"),
    ("社会保障卡", "社会保障卡"),
]


def licence_type_for(material_name: str) -> str:
    for words, licence_type in LICENCE_TYPES:
        if words in material_name:
            return licence_type
    return ""


def licence_valid(status: str, valid_until: str | None, today_iso: str) -> bool:
    """A licence counts as provided when the library says it is valid and it has not expired."""
    return status == "valid" and (not valid_until or valid_until >= today_iso)


# --- reconciliation --------------------------------------------------------------------------------
def missing(ours: Iterable[str], acknowledged: Iterable[str]) -> list[str]:
    """Our documents the other side does not hold (sorted, stable)."""
    held = set(acknowledged)
    return sorted(d for d in set(ours) if d not in held)
