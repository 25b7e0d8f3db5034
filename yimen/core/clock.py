"""The one clock. Everything that needs "now" asks here, so tests and the simulator can move time.

from yimen.core import clock
clock.now()        # aware datetime (UTC internally, shown in Asia/Shanghai)
clock.today()      # local date in Asia/Shanghai
with clock.frozen(datetime(2022, 3, 15, 10, 0, tzinfo=SHANGHAI)): ...
clock.travel(minutes=5)  # move a frozen clock forward
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")

_lock = threading.Lock()
_frozen: datetime | None = None


_offset = timedelta(0)  # the training clock (YIMEN_DEMO_CLOCK): wall clock moved, then running


def now() -> datetime:
    frozen = _frozen
    if frozen is not None:
        return frozen
    return timezone.now() + _offset


def start_training_clock(text: str, *, debug: bool) -> datetime:
    """Run this process at the local wall-clock time `text` (ISO, e.g. "2022-03-16T12:05",
    Asia/Shanghai), moving on in real time: demos and training walk a scenario at its hour
    through the real pages. Refused in production mode (`debug` False): ValueError."""
    global _offset
    if not debug:
        raise ValueError(
            "YIMEN_DEMO_CLOCK 只能用于演示/培训环境（YIMEN_DEBUG=1），生产模式拒绝启动。"
        )
    try:
        target = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"YIMEN_DEMO_CLOCK 格式不正确：{text!r}（应如 2022-03-16T12:05）"
        ) from None
    if target.tzinfo is None:
        target = target.replace(tzinfo=SHANGHAI)
    with _lock:
        _offset = target - timezone.now()
    return target


def local_now() -> datetime:
    return now().astimezone(SHANGHAI)


def today() -> date:
    return local_now().date()


def local(dt: datetime) -> datetime:
    """An aware datetime in Shanghai time (naive ones are taken as Shanghai time)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=SHANGHAI)
    return dt.astimezone(SHANGHAI)


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """Shanghai wall-clock time, aware."""
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def freeze(dt: datetime) -> None:
    global _frozen
    with _lock:
        _frozen = local(dt)


def unfreeze() -> None:
    global _frozen
    with _lock:
        _frozen = None


def travel(**delta: float) -> datetime:
    """Move a frozen clock forward by timedelta(**delta)."""
    global _frozen
    with _lock:
        if _frozen is None:
            raise RuntimeError("clock.travel needs a frozen clock")
        _frozen = _frozen + timedelta(**delta)
        return _frozen


@contextmanager
def frozen(dt: datetime) -> Iterator[None]:
    previous = _frozen
    freeze(dt)
    try:
        yield
    finally:
        if previous is None:
            unfreeze()
        else:
            freeze(previous)
