"""Benchmark of the digital twin: simulator throughput (visitors per CPU second) and its accuracy
against Erlang C on M/M/c. Pure (no database): `python bench/simulate.py [--reps N]`.
Prints one JSON document."""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings")

from yimen.insight import erlang  # noqa: E402
from yimen.insight.simulation import ItemSpec, build_scenario, simulate  # noqa: E402


def run(c, rate_per_hour, mean, customers, reps):
    minutes = customers / (rate_per_hour / 60)
    data = {
        "seed": 1,
        "replications": reps,
        "warmup_minutes": 500,
        "windows": [{"group": "Z", "kind": "综合窗口", "count": c}],
        "arrivals": [{"item": "T", "rate_per_hour": rate_per_hour}],
        "service_minutes": {"default": {"dist": "exponential", "mean": mean}},
    }
    scenario = build_scenario(data, items={"T": ItemSpec("T", "D")}, days=[[(0.0, minutes)]])
    t0 = time.process_time()
    result = simulate(scenario)
    cpu = time.process_time() - t0
    exact = erlang.mean_wait(rate_per_hour / 60, mean, c)
    return {
        "servers": c,
        "rho": round(rate_per_hour / 60 * mean / c, 3),
        "served": result["served"],
        "mean_wait": result["mean_wait_minutes"],
        "erlang_c": round(exact, 4),
        "relative_error": round(result["mean_wait_minutes"] / exact - 1, 4),
        "ci95": result["confidence"]["mean_wait_ci95"],
        "cpu_seconds": round(cpu, 2),
        "visitors_per_cpu_second": round(result["served"] / cpu),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=8)
    parser.add_argument("--customers", type=int, default=40_000, help="visitors per replication")
    args = parser.parse_args()
    rows = [
        run(c, rate, 10.0, args.customers, args.reps)
        for c, rate in [(2, 6.0), (4, 12.0), (5, 24.0)]
    ]
    print(json.dumps({"benchmark": "insight.simulate", "runs": rows}, ensure_ascii=False))


if __name__ == "__main__":
    main()
