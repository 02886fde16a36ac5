"""Where barge-in time goes: the worker's DEBUG state log lined up with each sound the caller made
over a reply (agent/turns/state_log.py writes the log)."""

from __future__ import annotations

import json
from pathlib import Path

from evals.bench_common import percentile

WINDOW_S = 3.0


def _states(log_path: Path) -> list[tuple[float, str]]:
    """(unix time, "caller speaking" | "caller listening" | "agent paused" | "agent resumed" |
    "reply held" | "reply released"); the last two are the energy gate's (agent/turns/gated_output.py)."""
    found = []
    for line in log_path.read_text(errors="replace").splitlines() if log_path.exists() else []:
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        at = record.get("at")
        if record.get("event") in ("reply held", "reply released") and isinstance(at, float | int):
            found.append((float(at), str(record["event"])))
        elif record.get("event") == "caller state" and isinstance(at, float | int):
            found.append((float(at), f"caller {record.get('state')}"))
        elif record.get("event") == "agent state" and isinstance(at, float | int):
            old, new = record.get("old"), record.get("state")
            if old == "speaking" and new == "listening":
                found.append((float(at), "agent paused"))
            elif old == "listening" and new == "speaking":
                found.append((float(at), "agent resumed"))
    return sorted(found)


def attach_timelines(events: list[dict[str, object]], log_path: Path) -> dict[str, object]:
    """Adds to each event the worker's first reaction times (ms after the caller's sound began),
    and returns their medians: VAD start, reply paused, caller quiet (VAD end), reply resumed."""
    states = _states(log_path)
    columns: dict[str, list[float]] = {}
    for event in events:
        start = event.get("spoken_at_unix")
        if not isinstance(start, float) or not start:
            continue
        timeline: dict[str, float] = {}
        for at, what in states:
            # the agent's state only answers our sound once the worker heard it: a pause before
            # that (or with no speech heard at all) is the end of the reply, not a barge-in
            heard = bool({"caller speaking", "reply held"} & {*timeline, what})
            if start - 0.05 <= at <= start + WINDOW_S and what not in timeline and heard:
                timeline[what] = round((at - start) * 1000, 1)
        event["worker_timeline_ms"] = timeline
        for what, ms in timeline.items():
            columns.setdefault(f"{event['kind']}: {what}", []).append(ms)
    return {name: {"count": len(v), "p50_ms": percentile(v, 0.5)} for name, v in sorted(columns.items())}
