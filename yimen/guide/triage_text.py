"""The triage's vocabulary and plain records: the lexicon of colloquial words, the item records it
indexes, what a match and an understanding are, and text normalisation. Pure."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

LEXICON_PATH = Path(__file__).resolve().parent / "data" / "synonyms.yaml"

CJK = re.compile(r"[\u3400-\u9fff]")
CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
LATIN_RUN = re.compile(r"[a-z][a-z ]*[a-z]|[a-z]")
CLAUSE_SPLIT = re.compile(r"[，,。.;；、！!？?\n]+")


LOCAL_PRIOR = 1.2  # items handled by an outlet of this network rank a little higher (就近能办)


@dataclass(frozen=True)
class ItemRecord:
    """What the triage needs to know about one item (plain data, no ORM)."""

    code: str
    name: str
    short_name: str = ""
    parent_name: str = ""
    keywords: tuple[str, ...] = ()
    department: str = ""
    prior: float = 1.0  # >1 for items served by an outlet of this network (就近能办)


@dataclass
class Lexicon:
    synonyms: dict[str, tuple[str, ...]]  # variant -> canonical words
    stopwords: frozenset[str]
    conjunctions: tuple[str, ...]
    actions: tuple[str, ...] = ()
    done_markers: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict) -> Lexicon:
        synonyms: dict[str, list[str]] = {}
        for canonical, variants in (data.get("synonyms") or {}).items():
            words = str(canonical).split()
            for v in variants or []:
                key = unicodedata.normalize("NFKC", str(v)).lower()
                synonyms.setdefault(key, [])
                synonyms[key].extend(w for w in words if w not in synonyms[key])
        return cls(
            synonyms={k: tuple(v) for k, v in synonyms.items()},
            stopwords=frozenset(str(w) for w in data.get("stopwords") or []),
            conjunctions=tuple(
                sorted((str(w) for w in data.get("conjunctions") or []), key=len, reverse=True)
            ),
            actions=tuple(str(w) for w in data.get("actions") or []),
            done_markers=tuple(str(w) for w in data.get("done_markers") or []),
        )

    @classmethod
    def load(cls, path: Path = LEXICON_PATH) -> Lexicon:
        with open(path, encoding="utf-8") as fh:
            return cls.from_dict(yaml.safe_load(fh) or {})


@dataclass
class Match:
    code: str
    name: str
    score: float
    why: list[str] = field(default_factory=list)
    intent: bool = False  # one of the requests recognised in the sentence


@dataclass
class Understanding:
    """The query after pinyin, typo and lexicon steps."""

    text: str
    extra: list[str]  # words added (pinyin readings, corrections, canonical words)
    notes: list[str]  # human-readable reasons
    added: list[tuple[str, ...]] = field(default_factory=list)  # words each note added
    n_read: int = (
        0  # extra[:n_read] are readings of the person's words (pinyin, typos); the rest inferred
    )

    @property
    def full(self) -> str:
        return " ".join([self.text, *self.extra])


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower().strip()


def bigrams(text: str) -> list[str]:
    out = []
    for run in CJK_RUN.findall(text):
        if len(run) == 1:
            out.append(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out
