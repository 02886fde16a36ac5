"""The sweep as a PNG: round trip and greeting per level, calls answered, and CPU."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: the bench runs headless
import matplotlib.pyplot as plt

from evals.load.sweep import ROUND_TRIP_LIMIT_MS


def _series(levels: list[dict[str, Any]], *keys: str) -> list[float]:
    values = []
    for level in levels:
        value: Any = level
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        values.append(float("nan") if value is None else float(value))
    return values


def write_chart(report: dict[str, Any], path: Path) -> None:
    levels = report["levels"]
    x = [level["level"] for level in levels]
    figure, (latency, calls, cpu) = plt.subplots(3, 1, figsize=(8, 10), sharex=True)
    figure.suptitle(f"bench load: {report['providers']} providers, {report['executor']} executor")

    latency.plot(x, _series(levels, "round_trip", "p50_ms"), "o-", label="round trip p50")
    latency.plot(x, _series(levels, "round_trip", "p95_ms"), "s-", label="round trip p95")
    latency.plot(x, _series(levels, "greeting", "p50_ms"), "^--", label="greeting p50")
    latency.axhline(ROUND_TRIP_LIMIT_MS, color="red", linewidth=0.8, label="p95 limit")
    latency.set_ylabel("ms at the caller's ear")
    latency.legend(fontsize="small")

    width = [0.25 * level for level in x]
    calls.bar(x, _series(levels, "answered"), width=width, label="answered", color="tab:green")
    calls.bar(x, _series(levels, "refused"), width=width, bottom=_series(levels, "answered"), label="refused")
    lost_bottom = [
        a + r for a, r in zip(_series(levels, "answered"), _series(levels, "refused"), strict=True)
    ]
    calls.bar(x, _series(levels, "lost"), width=width, bottom=lost_bottom, label="lost", color="tab:red")
    calls.set_ylabel("calls")
    calls.legend(fontsize="small")

    cpu.plot(x, _series(levels, "worker", "cpu_percent"), "o-", label="worker tree, mean")
    cpu.plot(x, _series(levels, "worker", "peak_cpu_percent"), "o:", label="worker tree, peak")
    cpu.plot(x, _series(levels, "generator", "cpu_percent"), "s-", label="load generator")
    cpu.set_ylabel("CPU % of one core")
    cpu.set_xlabel("concurrent calls")
    cpu.set_xscale("log", base=2)
    cpu.set_xticks(x, [str(level) for level in x])
    cpu.legend(fontsize="small")

    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
