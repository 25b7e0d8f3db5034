"""Pure rules of 高效办成一件事 (no database, no clock): the 70 % rule of a merged material list,
tailoring an item's materials to the answers of its situational questions (情形化办事指南), and
finding bundles from plain words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from yimen.core.errors import ValidationFailed

MAX_MERGED_RATIO = 0.7  # a merged list is at most 70 % as long as the items' lists added up


def merged_ratio(merged: int, per_item: Iterable[int]) -> float:
    """Length of the merged list over the items' lists added up (0 when there is nothing)."""
    total = sum(per_item)
    return merged / total if total else 0.0


def passes_merge_rule(merged: int, per_item: Iterable[int]) -> bool:
    counts = list(per_item)
    return len(counts) >= 2 and 0 < merged <= MAX_MERGED_RATIO * sum(counts)


def uncovered(item_materials: Iterable[str], covered: Iterable[str]) -> list[str]:
    """Item materials (as "CODE: name") that no merged line covers — a bundle must cover all."""
    have = set(covered)
    return [m for m in item_materials if m not in have]


# --- situations -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Option:
    value: str
    label: str
    add: tuple[Mapping[str, Any], ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    options: tuple[Option, ...]

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


def question_from(key: str, text: str, options: Sequence[Mapping[str, Any]]) -> Question:
    return Question(
        key,
        text,
        tuple(
            Option(
                str(o["value"]),
                str(o.get("label") or o["value"]),
                tuple(o.get("add") or ()),
                tuple(str(r) for r in o.get("remove") or ()),
            )
            for o in options
        ),
    )


def clean_answers(questions: Sequence[Question], answers: Mapping[str, Any]) -> dict[str, str]:
    """Only known questions with one of their options; anything else is a Chinese 400."""
    known = {q.key: q for q in questions}
    clean: dict[str, str] = {}
    for key, value in (answers or {}).items():
        if value in (None, ""):
            continue
        q = known.get(str(key))
        if q is None:
            raise ValidationFailed(f"该事项没有「{key}」这一办事情形问题。", code="bad_situation")
        if q.option(str(value)) is None:
            labels = "、".join(o.label for o in q.options)
            raise ValidationFailed(f"「{q.text}」的回答只能是：{labels}。", code="bad_situation")
        clean[q.key] = str(value)
    return clean


def tailor(
    materials: Sequence[Mapping[str, Any]],
    questions: Sequence[Question],
    answers: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """The item's material list for these answers: each chosen option removes materials (by name)
    and adds its own. An unanswered question changes nothing (the full catalog list applies)."""
    clean = clean_answers(questions, answers)
    removed: set[str] = set()
    added: list[dict[str, Any]] = []
    for q in questions:
        value = clean.get(q.key)
        if value is None:
            continue
        opt = q.option(value)
        assert opt is not None
        removed.update(opt.remove)
        for extra in opt.add:
            added.append({"situational": True, "because": f"{q.text}{opt.label}", **extra})
    out = [dict(m) for m in materials if m["name"] not in removed]
    names = {m["name"] for m in out}
    out += [a for a in added if a["name"] not in names]
    return out


def situation_summary(questions: Sequence[Question], answers: Mapping[str, str]) -> list[str]:
    """ "问题：回答" lines for the notices and the printed list."""
    lines = []
    for q in questions:
        opt = q.option(answers.get(q.key, ""))
        if opt is not None:
            lines.append(f"{q.text.rstrip('？?')}：{opt.label}")
    return lines


# --- finding bundles from plain words -------------------------------------------------------------
@dataclass(frozen=True)
class BundleRecord:
    code: str
    name: str
    keywords: tuple[str, ...]
    item_names: tuple[str, ...] = ()


MANY_HINTS = ("哪些", "都要", "一起", "全部", "一件事", "要办什么", "都办")


def match_bundles(
    text: str, bundles: Iterable[BundleRecord], limit: int = 3
) -> list[tuple[str, float, list[str]]]:
    """(code, score, why) of bundles whose name or keywords appear in `text`, best first. A hint
    that the person has several things to do ("要办哪些事", "一起办") strengthens a match."""
    text = (text or "").strip()
    if not text:
        return []
    out = []
    for b in bundles:
        core = b.name.removesuffix("一件事")
        why = [k for k in b.keywords if k and k in text]
        score = float(len(why))
        if core and core in text:
            score += 2
            why.insert(0, core)
        if not why:
            continue
        if any(h in text for h in MANY_HINTS):
            score += 1
            why.append("多项事项")
        out.append((b.code, score, why))
    out.sort(key=lambda r: (-r[1], r[0]))
    return out[:limit]
