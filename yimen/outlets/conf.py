"""Typed outlet settings: one validated object with defaults (`outlet.options`) instead of reading
the free-form JSON (`Outlet.settings`, 网点设置 in the admin) key by key.

Adding a setting is one line in `OutletSettings` below:

    board_rows: int = option(8, "叫号屏显示的行数", 3, 30)

then read it as `outlet.options.board_rows`. The admin refuses a bad value when the outlet
is saved (Chinese message naming the setting); a value stored before the rule existed and no
longer valid reads as the default (logged), never a 500. Pure: no Django import.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import time
from typing import Any

from yimen.core.validators import parse_id

logger = logging.getLogger(__name__)


class SettingsError(ValueError):
    """A bad value in an outlet's settings; the message is Chinese and names the setting."""


def option(
    default: Any,
    label: str,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    choices: tuple[str, ...] = (),
    check: Callable[[Any], Any] | None = None,
) -> Any:
    """A setting's declaration: its default, Chinese label, bounds (numbers), choices (text) and
    an optional `check(value) -> value` for structured values (raises SettingsError)."""
    return field(
        default=default,
        metadata={
            "label": label,
            "min": minimum,
            "max": maximum,
            "choices": choices,
            "check": check,
        },
    )


def _clock(value: Any) -> str:
    try:
        time.fromisoformat(str(value))
    except ValueError:
        raise SettingsError("应为时刻，如 12:00") from None
    return str(value)


def _workdays_by_level(value: Any) -> dict[str, int]:
    if not isinstance(value, dict):
        raise SettingsError('应为 {级别: 工作日数}，如 {"1": 3, "2": 5}')
    out = {}
    for level, days in value.items():
        if parse_id(str(level), minimum=1, maximum=9) is None:
            raise SettingsError(f"级别 {level} 应为 1–9")
        out[str(level)] = _number(days, int, 1, 60, f"第 {level} 级的工作日数")
    return out


DISPATCH_MODES = ("strict", "ratio")  # priority_mode
DISPATCH_NUMBERS: dict[str, tuple[type, float, float]] = {
    "ordinary_per_priority": (int, 0, 20),
    "max_ordinary_wait_minutes": (float, 1, 600),
    "appointment_early_minutes": (float, 0, 120),
}
DISPATCH_KEYS = ("priority_mode", *DISPATCH_NUMBERS)


def _dispatch(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SettingsError('应为叫号参数映射，如 {"priority_mode": "ratio"}')
    out: dict[str, Any] = {}
    for key, raw in value.items():
        if key == "priority_mode":
            if raw not in DISPATCH_MODES:
                raise SettingsError(f"{key} 应为 {' 或 '.join(DISPATCH_MODES)}")
            out[key] = raw
        elif key in DISPATCH_NUMBERS:
            kind, low, high = DISPATCH_NUMBERS[key]
            out[key] = _number(raw, kind, low, high, key)
        else:
            raise SettingsError(f"没有叫号参数 {key}（可用：{'、'.join(DISPATCH_KEYS)}）")
    return out


@dataclass(frozen=True)
class OutletSettings:
    # queue
    priority_age: int = option(65, "绿色通道年龄线（岁，按身份证自动识别老年人）", 50, 120)
    remote_check_in_minutes: int = option(60, "远程取号后到场签到时限（分钟）", 5, 480)
    appointment_slot_minutes: int = option(30, "预约时段长度（分钟）", 5, 240)
    booking_horizon_workdays: int = option(10, "可提前预约的工作日数（含当天）", 1, 60)
    appointment_check_in_early_minutes: int = option(30, "预约最早提前签到（分钟）", 0, 240)
    appointment_grace_minutes: int = option(15, "预约迟到宽限（分钟）", 0, 120)
    max_recalls: int = option(3, "同一号码最多重呼次数", 0, 10)
    default_service_minutes: float = option(6.0, "默认办理时长（分钟，估算等候用）", 0.5, 240)
    near_turn_position: int = option(3, "短信提醒“快到您了”的排位（排到第几位及以内）", 1, 20)
    dispatch: dict[str, Any] | None = option(
        None, "叫号参数（priority_mode 等，见 docs/queue.md）", check=_dispatch
    )
    # staff rota
    duty_group_odd_weeks: str = option("A", "单周值班组", choices=("A", "B"))
    noon_relay_start: str = option("12:00", "无午休网点的午间轮换开始时刻", check=_clock)
    lunch_minutes: int = option(60, "午间轮换时长（分钟）", 0, 180)
    # feedback (unset: settings.YIMEN, then the defaults in feedback/conf.py)
    feedback_rectify_workdays: int | None = option(None, "差评整改时限（工作日）", 1, 60)
    feedback_callback_workdays: int | None = option(None, "差评回访时限（工作日）", 1, 30)
    grievance_first_response_workdays: int | None = option(
        None, "办不成事首次答复时限（工作日）", 1, 30
    )
    escalation_workdays: dict[str, int] | None = option(
        None, "各级督办时限（工作日）", check=_workdays_by_level
    )

    @classmethod
    def parse(cls, raw: Any) -> OutletSettings:
        """Validated settings from the JSON; SettingsError (Chinese) on the first bad value."""
        return cls(**clean(raw))

    @classmethod
    def lenient(cls, raw: Any, *, outlet: str = "") -> OutletSettings:
        """For reading: a stored value that is no longer valid reads as its default (logged)."""
        values = {}
        for key, value in (raw if isinstance(raw, dict) else {}).items():
            try:
                values.update(clean({key: value}))
            except SettingsError as exc:
                logger.warning("outlet %s: setting %s ignored (%s)", outlet, key, exc)
        return cls(**values)


SPECS = {f.name: f for f in fields(OutletSettings)}


def _number(
    value: Any, kind: type, minimum: float | None, maximum: float | None, label: str
) -> Any:
    """`value` as an int or float within [minimum, maximum]; digits in a string are accepted."""
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise SettingsError(f"{label}应为数字") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SettingsError(f"{label}应为数字")
    if kind is int:
        if value != int(value):
            raise SettingsError(f"{label}应为整数")
        value = int(value)
    else:
        value = float(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise SettingsError(f"{label}应在 {minimum:g}–{maximum:g} 之间")
    return value


def clean(raw: Any) -> dict[str, Any]:
    """The settings JSON checked against OutletSettings: known keys only, each of its type and
    within its bounds; a null value means "not set" (the default)."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise SettingsError("网点设置应为 {设置项: 值} 映射")
    out = {}
    for key, value in raw.items():
        spec = SPECS.get(key)
        if spec is None:
            raise SettingsError(f"没有设置项 {key}（可用：{'、'.join(SPECS)}）")
        if value is None:
            continue
        meta, kind = spec.metadata, str(spec.type).replace(" | None", "")
        label = f"{meta['label']}（{key}）"
        try:
            if meta["check"] is not None:
                value = meta["check"](value)
            elif kind in ("int", "float"):
                number = int if kind == "int" else float
                value = _number(value, number, meta["min"], meta["max"], "")
            elif meta["choices"] and value not in meta["choices"]:
                raise SettingsError(f"应为 {' 或 '.join(meta['choices'])}")
        except SettingsError as exc:
            raise SettingsError(f"{label}：{exc}") from None
        out[key] = value
    return out


def describe() -> list[dict[str, Any]]:
    """Every setting with its label and default (admin help, docs)."""
    return [
        {"key": name, "label": f.metadata["label"], "default": f.default}
        for name, f in SPECS.items()
    ]
