"""Pure rules of 网上申报: application states, upload limits and content sniffing, the 预审 time
status and the online figures (网办率, 全程网办率, 零跑动). No database, no clock, no HTTP."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

# --- Application states ---------------------------------------------------------------------
DRAFT, PRECHECK, CORRECTION, ACCEPTED, DONE, REFUSED, WITHDRAWN = (
    "draft",
    "precheck",
    "correction",
    "accepted",
    "done",
    "refused",
    "withdrawn",
)
STATUS_CHOICES = [
    (DRAFT, "草稿"),
    (PRECHECK, "网上预审中"),
    (CORRECTION, "待补正"),
    (ACCEPTED, "已受理"),
    (DONE, "已办结"),
    (REFUSED, "不予受理"),
    (WITHDRAWN, "已撤回"),
]
STATUS_LABELS = dict(STATUS_CHOICES)
EDITABLE = (DRAFT, CORRECTION)  # the applicant may change files only in these


def status_from_case(case_status: str) -> str:
    """The application's state follows its case (cases owns the lifecycle after submission)."""
    return {
        "precheck": PRECHECK,
        "notified": CORRECTION,
        "rejected": REFUSED,
        "withdrawn": WITHDRAWN,
        "closed": DONE,
        "terminated": DONE,
    }.get(case_status, ACCEPTED)


# --- Where to go after signing in -----------------------------------------------------------
def safe_next(nxt: str) -> str:
    """`next` after sign-in, or "" unless it is a plain path inside the online hall: no `..` or
    `.` segment (even percent-encoded: `/online/../admin/`, `/online/%2e%2e/`), no backslash
    (browsers read `\\` as `/`), no control character, no scheme or host."""
    from urllib.parse import unquote, urlsplit

    if not isinstance(nxt, str) or not nxt.startswith("/online/") or len(nxt) > 500:
        return ""
    decoded = unquote(nxt)
    if "\\" in decoded or any(ord(c) < 32 or ord(c) == 127 for c in decoded):
        return ""
    parts = urlsplit(nxt)
    if parts.scheme or parts.netloc:
        return ""
    if any(seg in (".", "..") for seg in unquote(parts.path).split("/")):
        return ""
    return nxt


# --- Delivery of the result -------------------------------------------------------------------
DELIVERY_CHOICES = [
    ("electronic", "电子证照（网上下载，零跑动）"),
    ("mail", "邮寄送达（免费寄递）"),
    ("window", "到窗口/银行网点/24小时智能柜自取"),
]
DELIVERY_LABELS = dict(DELIVERY_CHOICES)

SOURCE_CHOICES = [("upload", "上传文件"), ("licence", "电子证照库调取")]
CONSENT_CHOICES = [("letter", "上传委托人签字的授权委托书")]

# --- Uploads ----------------------------------------------------------------------------------
MAX_BYTES = 10 * 1024 * 1024  # one file (a scanned multi-page PDF fits)
MAX_FILES_PER_LINE = 1  # the live file; re-uploads supersede it
MAX_TOTAL_BYTES = 60 * 1024 * 1024  # all live files of one application
STORED_FACTOR = 2  # replaced files count too, up to twice the live total (no endless re-uploads)
MAX_DRAFTS = 20  # open drafts of one applicant
MIN_BYTES = 16
ALLOWED = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def sniff(head: bytes) -> str | None:
    """The real type from the first bytes (magic numbers), never the client's Content-Type or
    the file name: PDF, JPEG or PNG, else None."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


@dataclass(frozen=True)
class UploadCheck:
    ok: bool
    content_type: str = ""
    message: str = ""


def check_upload(
    head: bytes,
    size: int,
    live_total: int,
    limits: dict[str, int] | None = None,
    stored_total: int = 0,
) -> UploadCheck:
    """Whether a file may be stored: its type by content, its size, the application's total."""
    limits = limits or {}
    max_bytes = int(limits.get("max_bytes", MAX_BYTES))
    max_total = int(limits.get("max_total_bytes", MAX_TOTAL_BYTES))
    if size < MIN_BYTES:
        return UploadCheck(False, message="文件是空的或已损坏，请重新选择。")
    if size > max_bytes:
        return UploadCheck(
            False, message=f"文件过大（{mb(size)}），单个文件不能超过 {mb(max_bytes)}。"
        )
    if live_total + size > max_total:
        return UploadCheck(
            False, message=f"本次申报的材料合计不能超过 {mb(max_total)}，请压缩后再上传。"
        )
    if stored_total + size > STORED_FACTOR * max_total:
        return UploadCheck(False, message="本次申报重复上传的次数过多，请联系受理部门。")
    kind = sniff(head)
    if kind is None:
        return UploadCheck(False, message="只能上传 PDF、JPG 或 PNG 文件（按文件内容识别）。")
    return UploadCheck(True, content_type=kind)


def mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n % (1024 * 1024) else f"{n // (1024 * 1024)} MB"


# --- 预审 time limit ----------------------------------------------------------------------------
NORMAL, WARNING, OVERDUE = "normal", "warning", "overdue"
TIME_STATUS_CHOICES = [(NORMAL, "正常"), (WARNING, "预警"), (OVERDUE, "逾期")]
TIME_STATUS_LABELS = dict(TIME_STATUS_CHOICES)


def precheck_status(workdays_left: int) -> str:
    """预审 is due `workdays_left` working days from today: 逾期 past it, 预警 on the day."""
    if workdays_left < 0:
        return OVERDUE
    if workdays_left == 0:
        return WARNING
    return NORMAL


# --- Figures ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CaseFacts:
    """What the figures need of one case."""

    group: object  # outlet / department / item key
    online: bool  # applied online (网上申报)
    visits: int  # physical trips recorded
    closed: bool  # 办结 (delivered)
    opened_on: date | None = None


def online_figures(facts: Iterable[CaseFacts]) -> dict[str, Any]:
    """网办率 = cases applied online / all cases; 全程网办率 = closed cases applied online with no
    trip at all / closed cases; 零跑动 share = closed cases with no trip (any channel) / closed."""
    facts = list(facts)
    total = len(facts)
    closed = [f for f in facts if f.closed]
    online = sum(1 for f in facts if f.online)
    fully = sum(1 for f in closed if f.online and f.visits == 0)
    zero = sum(1 for f in closed if f.visits == 0)
    return {
        "cases": total,
        "online": online,
        "online_rate": round(online / total, 4) if total else 0.0,
        "closed": len(closed),
        "fully_online": fully,
        "fully_online_rate": round(fully / len(closed), 4) if closed else 0.0,
        "zero_trip": zero,
        "zero_trip_rate": round(zero / len(closed), 4) if closed else 0.0,
    }


def figures_by_group(facts: Iterable[CaseFacts]) -> dict[object, dict[str, Any]]:
    groups: dict[object, list[CaseFacts]] = {}
    for f in facts:
        groups.setdefault(f.group, []).append(f)
    return {k: online_figures(v) for k, v in groups.items()}
