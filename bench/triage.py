"""Triage benchmark: top-1 / top-3 accuracy and latency per query.

    .venv/bin/python bench/triage.py [--json] [-v]
    .venv/bin/python bench/triage.py --db /tmp/scratch.sqlite3   # through the database path

Runs the triage engine (yimen/guide/triage.py) on
- the public dev set  yimen/data/xining-demo/triage-dev.tsv (60 rows), and
- our own phrasings    yimen/guide/tests/triage_own*.tsv, triage_blind*.tsv (written independently
  of the dev set; 515 rows, each set covering (nearly) all 80 items),
first over the 80-item demo catalog, then over the demo catalog PLUS the real public catalogs in
yimen/data/sources/ (Guangdong gd-policy.jsonl, Sichuan 广安 sc-guangan-bszl.js: ~3,000 more
items). With --db PATH the same sets run through the production path instead: a scratch SQLite
database (created if needed: migrate, `yimen demo`, `yimen import-catalog gd|sc`) and the guide's
cached index over the active catalog. Latency: every query is run once to warm up, then timed:
p50 / p99 / max wall-clock ms, and p50 / p99 CPU ms of this process (less sensitive to whatever
else the machine is doing).

On the large catalog an answer counts as correct when it is the expected item; "equivalent"
also accepts an imported item whose normalised name equals the expected item's name (the same
matter from another province's catalog) — both figures are printed.
"""

import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from yimen.core.stats import percentile  # noqa: E402
from yimen.guide.triage import LOCAL_PRIOR, ItemRecord, build_index  # noqa: E402
from yimen.guide.triage_eval import read_tsv  # noqa: E402

DEMO = ROOT / "yimen" / "data" / "xining-demo"
SOURCES = ROOT / "yimen" / "data" / "sources"
OWN = ROOT / "yimen" / "guide" / "tests"
# dev = the public dev set; our own phrasings, in the order they were written (see docs/triage.md):
# own-a, own-b, own-c were used while developing the lexicon and weights; blind-1 and blind-2
# were each measured once before the changes they inspired; blind-3 was written last and
# never used for any change.
SETS = {
    "dev": DEMO / "triage-dev.tsv",
    "own-a": OWN / "triage_own.tsv",
    "own-b": OWN / "triage_own_b.tsv",
    "own-c": OWN / "triage_own_c.tsv",
    "blind-1": OWN / "triage_blind.tsv",
    "blind-2": OWN / "triage_blind2.tsv",
    "blind-3": OWN / "triage_blind3.tsv",
}


def demo_records() -> list[ItemRecord]:
    """The demo catalog; every item is handled by an outlet of the network (as in the database
    path, guide.selectors.item_records), imported catalogs are not."""
    data = yaml.safe_load((DEMO / "catalog.yaml").read_text(encoding="utf-8"))
    return [
        ItemRecord(
            code=i["code"],
            name=i["name"],
            short_name=i.get("short_name") or "",
            parent_name=i.get("parent_name") or "",
            keywords=tuple(i.get("keywords") or ()),
            department=i.get("department") or "",
            prior=LOCAL_PRIOR,
        )
        for i in data["items"]
    ]


def _clean(v) -> str:
    v = "" if v is None else str(v).strip()
    return "" if v in {"无", "None", "null"} else v


def gd_records() -> list[ItemRecord]:
    out, seen = [], set()
    with open(SOURCES / "gd-policy.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            r = json.loads(line)
            code = "GD-" + (_clean(r.get("TASK_CODE")) or str(len(out)))
            if code in seen:
                continue
            seen.add(code)
            name = _clean(r.get("TASK_NAME")) or _clean(r.get("matter_name"))
            parent = _clean(r.get("parentCatalogName"))
            out.append(
                ItemRecord(
                    code=code,
                    name=name,
                    short_name=_clean(r.get("matter_short")),
                    parent_name=parent if parent != name else "",
                    department=_clean(r.get("DEPT_NAME")),
                )
            )
    return out


def sc_records() -> list[ItemRecord]:
    text = (SOURCES / "sc-guangan-bszl.js").read_text(encoding="utf-8")
    body = text[text.index("[") : text.rindex("]") + 1]
    data = json.loads(re.sub(r",\s*([\]}])", r"\1", body))
    out = []
    for dept in data:
        for group in dept.get("items", []):
            main = group.get("main_item") or ""
            for sub in group.get("sub_items", []):
                m = re.search(r"itemCode=([^&]+)", sub.get("link") or "")
                code = "SC-" + (m.group(1) if m else str(len(out)))
                out.append(
                    ItemRecord(
                        code=code,
                        name=sub["name"],
                        parent_name="" if main == "未分类" else main,
                        department=dept.get("department") or "",
                    )
                )
    uniq = {}
    for r in out:
        uniq.setdefault(r.code, r)
    return list(uniq.values())


def norm_name(name: str) -> str:
    return re.sub(r"[（(][^）)]*[）)]|[\s《》“”\"]", "", name)


def evaluate(index, rows, names_by_code) -> dict:
    for q, _ in rows:  # warm-up
        index.search(q, limit=3)
    top1 = top3 = eq1 = 0
    times, cpu = [], []
    misses = []
    for q, expected in rows:
        t, c = time.perf_counter(), time.process_time()
        res = index.search(q, limit=3)
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        codes = [m.code for m in res]
        top1 += bool(codes) and codes[0] == expected
        top3 += expected in codes[:3]
        want = norm_name(names_by_code.get(expected, ""))
        eq1 += bool(res) and (codes[0] == expected or norm_name(res[0].name) == want)
        if not codes or codes[0] != expected:
            misses.append({"query": q, "expected": expected, "got": codes})
    n = len(rows)
    return {
        "n": n,
        "top1": top1 / n,
        "top3": top3 / n,
        "top1_equivalent": eq1 / n,
        "p50_ms": percentile(times, 0.50),
        "p99_ms": percentile(times, 0.99),
        "max_ms": max(times),
        "cpu_p50_ms": percentile(cpu, 0.50),
        "cpu_p99_ms": percentile(cpu, 0.99),
        "misses": misses,
    }


def db_index(path: str):
    """The production path: a scratch SQLite database with the demo network and the real
    catalogs imported by `yimen import-catalog gd|sc`, and the guide's cached index over it."""
    import os

    os.environ["DATABASE_URL"] = f"sqlite:///{Path(path).resolve()}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings")
    os.environ.setdefault(
        "YIMEN_DEBUG", "1"
    )  # a local bench database: development mode, local keys
    import django
    from django.core.management import call_command

    django.setup()
    from yimen.catalog.models import ServiceItem

    call_command("migrate", verbosity=0)
    if not ServiceItem.objects.filter(code__startswith="XN-").exists():
        call_command("demo", verbosity=0)
    if ServiceItem.objects.count() < 1000:
        call_command("import-catalog", "gd", str(SOURCES / "gd-policy.jsonl"))
        call_command("import-catalog", "sc", str(SOURCES / "sc-guangan-bszl.js"))
    from yimen.guide import selectors

    return selectors.triage_index()


def main(argv):
    as_json = "--json" in argv
    demo = demo_records()
    names = {r.code: r.name for r in demo}
    report = {}
    catalogs = [("demo", demo)]
    if "--db" in argv:
        catalogs = [("db", argv[argv.index("--db") + 1])]
    else:
        catalogs.append(("large", demo + gd_records() + sc_records()))
    for label, records in catalogs:
        t = time.perf_counter()
        index = db_index(records) if label == "db" else build_index(records)
        records = index.records
        build_s = time.perf_counter() - t
        for set_name, path in SETS.items():
            r = evaluate(index, read_tsv(path), names)
            r.update(catalog=label, items=len(records), build_s=round(build_s, 2))
            report[f"{label}/{set_name}"] = r
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    print(
        f"{'catalog/set':<14} {'items':>6} {'n':>4} {'top-1':>7} {'top-3':>7} {'top-1≈':>7} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'cpu p50':>8} {'cpu p99':>8} {'build s':>8}"
    )
    for key, r in report.items():
        print(
            f"{key:<14} {r['items']:>6} {r['n']:>4} {r['top1']:>7.1%} {r['top3']:>7.1%} "
            f"{r['top1_equivalent']:>7.1%} {r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} {r['max_ms']:>7.2f} "
            f"{r['cpu_p50_ms']:>8.2f} {r['cpu_p99_ms']:>8.2f} {r['build_s']:>8.2f}"
        )
    if "-v" in argv:
        for key, r in report.items():
            for m in r["misses"]:
                print(key, m)


if __name__ == "__main__":
    main(sys.argv[1:])
