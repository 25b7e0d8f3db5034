"""Measuring the triage: top-1/top-3 accuracy on a labelled dev set (TSV of query, item code).
Used by the tests and bench/triage.py."""

from __future__ import annotations

from .triage import TriageIndex


def accuracy(index: TriageIndex, rows: list[tuple[str, str]]) -> dict:
    """top-1 / top-3 accuracy of `index` on (query, expected_code) rows."""
    top1 = top3 = 0
    misses = []
    for query, expected in rows:
        codes = [m.code for m in index.search(query, limit=3)]
        top1 += bool(codes) and codes[0] == expected
        top3 += expected in codes[:3]
        if not codes or codes[0] != expected:
            misses.append((query, expected, codes[:3]))
    n = max(len(rows), 1)
    return {"n": len(rows), "top1": top1 / n, "top3": top3 / n, "misses": misses}


def read_tsv(path) -> list[tuple[str, str]]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for k, line in enumerate(fh):
            parts = line.rstrip("\n").split("\t")
            if k == 0 and parts[0] == "query":
                continue
            if len(parts) >= 2 and parts[0].strip():
                rows.append((parts[0].strip(), parts[1].strip()))
    return rows
