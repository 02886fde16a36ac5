"""`voice-agent traces review`: per-hop percentiles against budgets, worst turns, per-call outcome
and event-loop stalls.

Percentiles are nearest-rank: p95 is the smallest latency with at least 95% of turns at or
below it. A hop breaches when its p95 is over its budget.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from pathlib import PureWindowsPath
from typing import Any

from agent.telemetry.budgets import HOP_FIGURE
from agent.telemetry.span_files import Span

WORST_TURNS = 5
LOOP_STALL_SPAN = "event_loop_blocked"
"""LiveKit's loop monitor: the call's event loop ran none of its timers for `lk.blocking.duration`
seconds, so audio frames and turn handling waited. Its sampled stack says where."""
_FRAME = re.compile(r'File "([^"]+)", line (\d+)')


def nearest_rank(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]


def hop_latency_ms(span: Span) -> float | None:
    figure = HOP_FIGURE.get(span.name)
    if figure is None:
        return span.duration_ms
    value = span.attributes.get(figure)
    return float(value) if isinstance(value, int | float) else None


@dataclass
class Sample:
    latency_ms: float
    call_id: str
    turn: int | None


def _call_ids(spans: list[Span]) -> dict[str, str]:
    """trace id → call id, from each trace's voice.call span."""
    return {
        s.trace_id: str(s.attributes.get("voice.call_id", s.trace_id))
        for s in spans
        if s.name == "voice.call"
    }


def _stall_site(stack: object) -> str | None:
    """The innermost frame of the monitor's first stack sample, as `folder/file.py:line`."""
    frames = _FRAME.findall(str(stack or "").split("\n---\n")[0])
    if not frames:
        return None
    path, line = frames[-1]
    folder_and_file = PureWindowsPath(path).parts[-2:]  # splits on both / and \
    return f"{'/'.join(folder_and_file)}:{line}"


def _loop_stalls(spans: list[Span], calls: dict[str, str]) -> dict[str, dict[str, Any]]:
    """call id → how often its event loop was blocked, and the worst block."""
    stalls: dict[str, dict[str, Any]] = {}
    for span in spans:
        duration = span.attributes.get("lk.blocking.duration")
        if span.name != LOOP_STALL_SPAN or span.trace_id not in calls:
            continue
        ms = float(duration) * 1000 if isinstance(duration, int | float) else span.duration_ms
        entry = stalls.setdefault(calls[span.trace_id], {"count": 0, "worst_ms": 0.0, "worst_at": None})
        entry["count"] += 1
        if ms > entry["worst_ms"]:
            entry["worst_ms"] = round(ms, 1)
            entry["worst_at"] = _stall_site(span.attributes.get("lk.blocking.stack"))
    return stalls


def review(spans: list[Span], budgets: dict[str, float]) -> dict[str, Any]:
    calls = _call_ids(spans)
    by_id = {s.span_id: s for s in spans}
    samples: dict[str, list[Sample]] = {}
    for span in spans:
        if not span.name.startswith("voice.hop."):
            continue
        latency = hop_latency_ms(span)
        if latency is None:
            continue
        parent = by_id.get(span.parent_span_id or "")
        turn = parent.attributes.get("voice.turn_index") if parent and parent.name == "voice.turn" else None
        call_id = str(span.attributes.get("voice.call_id") or calls.get(span.trace_id, span.trace_id))
        samples.setdefault(span.name, []).append(Sample(latency, call_id, turn))

    hops = {}
    for hop, items in sorted(samples.items()):
        values = [s.latency_ms for s in items]
        budget = budgets.get(hop)
        worst = sorted(items, key=lambda s: s.latency_ms, reverse=True)[:WORST_TURNS]
        hops[hop] = {
            "count": len(values),
            "p50_ms": round(nearest_rank(values, 0.50), 1),
            "p95_ms": round(nearest_rank(values, 0.95), 1),
            "p99_ms": round(nearest_rank(values, 0.99), 1),
            "budget_ms": budget,
            "breach_rate": round(sum(v > budget for v in values) / len(values), 4) if budget else None,
            "p95_breached": bool(budget and nearest_rank(values, 0.95) > budget),
            "worst": [
                {"latency_ms": round(s.latency_ms, 1), "call_id": s.call_id, "turn": s.turn} for s in worst
            ],
            "latencies_ms": sorted(round(v, 1) for v in values),
        }

    per_call: dict[str, dict[str, Any]] = {}
    stalls = _loop_stalls(spans, calls)
    for span in spans:
        if span.name == "voice.call":
            call_id = calls[span.trace_id]
            per_call[call_id] = {
                "outcome": span.attributes.get("voice.outcome", "unknown"),
                "worst_hop": None,
                "loop_stalls": stalls.get(call_id, {"count": 0, "worst_ms": None, "worst_at": None}),
            }
    for hop, items in samples.items():
        budget = budgets.get(hop)
        for sample in items:
            entry = per_call.setdefault(
                sample.call_id, {"outcome": "unknown", "worst_hop": None, "loop_stalls": None}
            )
            ratio = sample.latency_ms / budget if budget else 0.0
            if entry["worst_hop"] is None or ratio > entry["worst_hop"]["budget_ratio"]:
                entry["worst_hop"] = {
                    "hop": hop,
                    "latency_ms": round(sample.latency_ms, 1),
                    "budget_ratio": round(ratio, 2),
                }
    return {
        "hops": hops,
        "calls": per_call,
        "breached": sorted(h for h, v in hops.items() if v["p95_breached"]),
    }


def render_text(report: dict[str, Any]) -> str:
    lines = [f"{'hop':<32} {'n':>5} {'p50':>8} {'p95':>8} {'p99':>8} {'budget':>8} {'breach':>7}"]
    for hop, stats in report["hops"].items():
        budget = f"{stats['budget_ms']:.0f}" if stats["budget_ms"] else "-"
        rate = f"{stats['breach_rate'] * 100:.0f}%" if stats["breach_rate"] is not None else "-"
        flag = "  <- p95 over budget" if stats["p95_breached"] else ""
        lines.append(
            f"{hop:<32} {stats['count']:>5} {stats['p50_ms']:>8.1f} {stats['p95_ms']:>8.1f} {stats['p99_ms']:>8.1f} {budget:>8} {rate:>7}{flag}"
        )
        worst = ", ".join(
            f"{w['latency_ms']:.0f} ms ({w['call_id']} turn {'-' if w['turn'] is None else w['turn']})"
            for w in stats["worst"]
        )
        lines.append(f"{'':<32} worst: {worst}")
    lines.append("")
    lines.append("calls:")
    for call_id, entry in report["calls"].items():
        worst = entry["worst_hop"]
        detail = f"worst hop {worst['hop']} {worst['latency_ms']:.0f} ms" if worst else "no hop spans"
        stalls = entry.get("loop_stalls")
        if stalls and stalls["count"]:
            detail += (
                f"; event loop blocked {stalls['count']}x, worst {stalls['worst_ms']:.0f} ms"
                f" at {stalls['worst_at'] or 'an unsampled place'}"
            )
        lines.append(f"  {call_id}: {entry['outcome']}, {detail}")
    return "\n".join(lines)


def render_html(report: dict[str, Any]) -> str:
    """One strip chart per hop: every turn's latency as a dot, the budget as a red line."""
    width, height, margin = 640, 70, 20
    sections = []
    for hop, stats in report["hops"].items():
        values = stats["latencies_ms"]
        ceiling = max([stats["p99_ms"], stats["budget_ms"] or 0, *values]) * 1.1 or 1.0

        def x(value: float, ceiling: float = ceiling) -> float:
            return margin + (width - 2 * margin) * value / ceiling

        marks = [
            f'<line x1="{x(stats[k]):.1f}" y1="10" x2="{x(stats[k]):.1f}" y2="{height - 10}" stroke="#555" '
            f'stroke-dasharray="3,3"><title>{k} {stats[k]} ms</title></line>'
            for k in ("p50_ms", "p95_ms")
        ]
        if stats["budget_ms"]:
            marks.append(
                f'<line x1="{x(stats["budget_ms"]):.1f}" y1="5" x2="{x(stats["budget_ms"]):.1f}" y2="{height - 5}" '
                f'stroke="#d00" stroke-width="2"><title>budget {stats["budget_ms"]:.0f} ms</title></line>'
            )
        dots = [
            f'<circle cx="{x(v):.1f}" cy="{height / 2:.0f}" r="4" fill="#27c"><title>{v} ms</title></circle>'
            for v in values
        ]
        verdict = "over budget" if stats["p95_breached"] else "within budget"
        sections.append(
            f"<h2>{html.escape(hop)}</h2><p>n={stats['count']} p50={stats['p50_ms']} ms p95={stats['p95_ms']} ms "
            f"p99={stats['p99_ms']} ms budget={stats['budget_ms']} ms: {verdict}</p>"
            f'<svg width="{width}" height="{height}" role="img" aria-label="{html.escape(hop)}">'
            f'<rect width="{width}" height="{height}" fill="#f7f7f7"/>{"".join(marks)}{"".join(dots)}</svg>'
        )
    return (
        "<!doctype html><meta charset='utf-8'><title>voice-agent latency review</title>"
        "<style>body{font-family:sans-serif;max-width:700px;margin:2em auto}</style>"
        "<h1>Latency by hop against budget</h1><p>Red: budget. Dashed: p50 and p95. Dots: every turn.</p>"
        + "".join(sections)
    )
