"""Ticket slips on ESC/POS thermal printers (python-escpos), the browser's print as fallback.

A printer is named by a target string, kept with the paired hall device (hall/devices.py):

- `tcp://10.1.2.30:9100`   a network printer (raw port 9100, the common case in a hall);
- `file:///dev/usb/lp0`    a USB printer through the kernel's usblp driver (no extra package);
- `usb://0x0416:0x5011`    a USB printer by vendor:product id through libusb (needs `pyusb`);
- empty                    no thermal printer: the kiosk prints the slip page with the browser.

The slip is rendered to bytes once (`escpos_job`, with python-escpos' Dummy printer: Chinese in
GB18030 after `FS &`, the printer's own QR code) and then sent; a printer that does not answer
within `TIMEOUT` seconds is reported (`PrinterUnavailable`) and the page falls back to the browser.
`yimen hall printer-sim` is a simulator of a network printer for demos and tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlparse

from yimen.core.errors import ValidationFailed

TIMEOUT = 3.0
WIDTH = 32  # characters of a 58 mm printer's normal font (Chinese characters count double)

CHINESE_ON = b"\x1c\x26"  # FS & : Chinese character mode (GB2312/GB18030 printers)
CHINESE_OFF = b"\x1c\x2e"  # FS .


class PrinterUnavailable(Exception):
    """The printer could not be reached or refused the job (Chinese message)."""


@dataclass(frozen=True)
class Target:
    kind: str  # "tcp" | "file" | "usb"
    host: str = ""
    port: int = 9100
    path: str = ""
    vendor: int = 0
    product: int = 0

    def __str__(self) -> str:
        if self.kind == "tcp":
            return f"tcp://{self.host}:{self.port}"
        if self.kind == "file":
            return f"file://{self.path}"
        return f"usb://{self.vendor:#06x}:{self.product:#06x}"


_HOST_RE = re.compile(r"^[A-Za-z0-9.\-]{1,253}$")


def parse_target(text: str) -> Target | None:
    """A printer target from its string; None for "" (browser printing). ValidationFailed
    (Chinese) for anything else."""
    text = (text or "").strip()
    if not text:
        return None
    bad = ValidationFailed(
        "打印机地址格式不正确：应为 tcp://IP:9100、file:///dev/usb/lp0 或 usb://0x0416:0x5011。",
        code="bad_printer",
    )
    try:
        url = urlparse(text)
        if url.scheme == "tcp" and url.hostname and _HOST_RE.match(url.hostname):
            return Target("tcp", host=url.hostname, port=url.port or 9100)
        if url.scheme == "file" and re.match(r"^/dev/(usb/lp|lp)\d{1,2}$", url.path):
            return Target("file", path=url.path)
        if url.scheme == "usb":
            vendor, _, product = url.netloc.partition(":")
            return Target("usb", vendor=int(vendor, 16), product=int(product, 16))
    except ValueError:
        raise bad from None
    raise bad


@dataclass(frozen=True)
class Slip:
    """What a ticket slip says (the page and the thermal printer print the same)."""

    outlet: str
    number: str
    queue: str
    priority: str
    items: list[str]
    people_ahead: int
    wait_minutes: int
    issued_at: str
    status_url: str
    code: str  # the slip code the portal's rating page asks for (凭条编号)
    notes: list[str] = field(default_factory=list)


def _gb(text: str) -> bytes:
    return text.encode("gb18030", errors="replace")


def escpos_job(slip: Slip) -> bytes:
    """The slip as ESC/POS bytes (python-escpos' Dummy printer collects them)."""
    from escpos.printer import Dummy

    p = Dummy()
    p.hw("INIT")
    p._raw(CHINESE_ON)
    p.set(align="center")
    p._raw(_gb(slip.outlet + "\n"))
    p.set(align="center", double_width=True, double_height=True, bold=True)
    p._raw(_gb(slip.number + "\n"))
    p.set(align="center", normal_textsize=True, bold=False)
    line = slip.queue + (f"  优先（{slip.priority}）" if slip.priority else "")
    p._raw(_gb(line + "\n"))
    if slip.items:
        p._raw(_gb("、".join(slip.items)[:120] + "\n"))
    p._raw(_gb(f"前面还有 {slip.people_ahead} 人，预计等候约 {slip.wait_minutes} 分钟\n"))
    for note in slip.notes:
        p._raw(_gb(note + "\n"))
    p._raw(CHINESE_OFF)
    p.set(align="center")
    p.qr(slip.status_url, size=6, native=True)
    p._raw(CHINESE_ON)
    p._raw(_gb("扫码查看实时排队进度\n"))
    p._raw(_gb(f"凭条编号：{slip.code}\n"))
    p._raw(_gb("（办完后评价服务时输入）\n"))
    p._raw(_gb(f"取号时间 {slip.issued_at}\n"))
    p._raw(CHINESE_OFF)
    p.cut()
    return bytes(p.output)


def send(job: bytes, target: Target) -> None:
    """Send an ESC/POS job; PrinterUnavailable (Chinese) when the printer does not take it."""
    try:
        if target.kind == "tcp":
            from escpos.printer import Network

            printer = Network(target.host, port=target.port, timeout=TIMEOUT)
            printer.open()
            printer._raw(job)
            printer.close()
        elif target.kind == "file":
            from escpos.printer import File

            printer = File(target.path)
            printer.open()
            printer._raw(job)
            printer.close()
        else:
            from escpos.printer import Usb

            printer = Usb(target.vendor, target.product, timeout=int(TIMEOUT * 1000))
            printer.open()
            printer._raw(job)
            printer.close()
    except Exception as exc:  # noqa: BLE001  (socket, usb and driver errors alike)
        raise PrinterUnavailable(
            f"热敏打印机（{target}）没有响应，已改用本机打印。（{type(exc).__name__}）"
        ) from exc


def render_text(job: bytes) -> str:
    """What an ESC/POS job prints, as text (the printer simulator and tests): the commands this
    module sends are interpreted, a QR code is shown as `[二维码 <content>]`."""
    out: list[str] = []
    i, n = 0, len(job)
    text = bytearray()

    def flush() -> None:
        if text:
            out.append(text.decode("gb18030", errors="replace"))
            text.clear()

    while i < n:
        b = job[i]
        if b == 0x1B:  # ESC
            flush()
            cmd = job[i + 1] if i + 1 < n else 0
            i += 2 if cmd == 0x40 else 3  # ESC @ ; ESC x n
        elif b == 0x1C:  # FS & / FS .
            flush()
            i += 2
        elif b == 0x1D:  # GS
            flush()
            cmd = job[i + 1] if i + 1 < n else 0
            if cmd == 0x28 and i + 4 < n:  # GS ( k pL pH cn fn data
                size = job[i + 3] + 256 * job[i + 4]
                body = job[i + 5 : i + 5 + size]
                if body[:2] == b"1P":
                    out.append(f"[二维码 {body[3:].decode('ascii', errors='replace')}]\n")
                i += 5 + size
            elif cmd == 0x56:  # GS V m [n]: cut
                out.append("--- 切纸 ---\n")
                i += 4 if i + 2 < n and job[i + 2] in (65, 66) else 3
            else:
                i += 3
        else:
            text.append(b)
            i += 1
    flush()
    return "".join(out)
