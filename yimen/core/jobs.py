"""Scheduled jobs go object by object, so that one bad row never stops a job.

    run = JobRun("cases.refresh")
    done = run.each(candidates, refresh_one, label=lambda c: c[1])
    run.failed        # labels of the objects that raised (each logged with its traceback)

Each object is handled in its own transaction (a savepoint when the caller already holds one);
when it raises, its changes are rolled back, the error is logged on the `yimen.jobs` logger with
the object's label, the object is counted in `failed`, and the run goes on with the next one.
Side effects (SMS …) are queued with `run.later(fn)` inside the object's work and run after its
transaction, never inside it. The commands print a warning line and report `failed` in --json;
their exit status stays 0 (the run did what it could; the log names what it could not).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

log = logging.getLogger("yimen.jobs")


@dataclass
class JobRun:
    job: str
    done: list[str] = field(default_factory=list)  # what the job changed (numbers, labels)
    failed: list[str] = field(default_factory=list)  # labels of the objects that failed (logged)
    _later: list[Callable[[], object]] = field(default_factory=list, repr=False)

    def later(self, fn: Callable[[], object]) -> None:
        """Run `fn` after the current object's transaction (side effects: SMS, notifications)."""
        self._later.append(fn)

    def each(
        self,
        keys: Iterable[Any],
        fn: Callable[[Any], Any],
        *,
        label: Callable[[Any], object] = str,
        atomic: bool = True,
    ) -> list[Any]:
        """Call fn(key) for every key, each in its own transaction (atomic=False when fn manages
        its own). Returns the results that are not None, in order; failures go to `failed`."""
        results = []
        for key in keys:
            self._later = []
            try:
                if atomic:
                    with transaction.atomic():
                        result = fn(key)
                else:
                    result = fn(key)
            except Exception:  # noqa: BLE001 — the point of a job run: log, skip, go on
                log.exception("%s: %s failed and was skipped", self.job, _safe_label(label, key))
                self.failed.append(_safe_label(label, key))
                self._later = []
                continue
            for side_effect in self._later:
                try:
                    side_effect()
                except Exception:  # noqa: BLE001 — the object's change is committed; report only
                    log.exception("%s: a follow-up of %s failed", self.job, _safe_label(label, key))
            self._later = []
            if result is not None:
                results.append(result)
        return results

    def as_dict(self) -> dict[str, Any]:
        return {"failed": len(self.failed), "failed_items": list(self.failed)}

    def warning(self) -> str:
        """The one line a command prints when something was skipped ('' when nothing was)."""
        if not self.failed:
            return ""
        shown = "、".join(str(f) for f in self.failed[:10]) + (
            "等" if len(self.failed) > 10 else ""
        )
        return f"警告：{len(self.failed)} 个对象处理失败，已跳过（{shown}），其余已正常处理；详见日志 yimen.jobs。"


def _safe_label(label: Callable[[Any], object], key: Any) -> str:
    try:
        return str(label(key))
    except Exception:  # noqa: BLE001
        return repr(key)
