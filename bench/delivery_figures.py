"""What bench/outbox.py and bench/exchange.py both measure of a delivery run: how many arrived,
how many were lost, throughput and enqueue→accepted latency; and how the figures are printed."""

from __future__ import annotations

import json

from yimen.core.stats import percentile


def delivery_figures(start: float, sent: dict[str, float], accepted: dict[str, float]) -> dict:
    """`sent` and `accepted`: key → time (seconds since the epoch) it was recorded / received."""
    latencies = [accepted[k] - t for k, t in sent.items() if k in accepted]
    last = max(accepted.values()) if accepted else start
    return {
        "delivered": len(accepted),
        "lost": len(sent) - len([k for k in sent if k in accepted]),
        "throughput_per_s": round(len(accepted) / max(last - start, 1e-9), 1),
        "latency_p50_ms": round((percentile(latencies, 0.5) or 0) * 1000, 1),
        "latency_p99_ms": round((percentile(latencies, 0.99) or 0) * 1000, 1),
    }


def report(result: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:>20}: {v}")
