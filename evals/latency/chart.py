"""The PNG beside the JSON: each turn's first audible and first answer word, and the hops' medians."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.latency.report import TARGETS


def write_chart(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display here, and none needed
    import matplotlib.pyplot as plt

    turns: list[dict[str, Any]] = result["turns"]
    summary: dict[str, Any] = result["summary"]
    figure, (per_turn, hops) = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [3, 1]})

    positions = list(range(len(turns)))
    labels = [f"{t['call']}.{t['turn']}" for t in turns]
    audible = [t["first_audible_ms"] for t in turns]
    answer = [t["answer_word_ms"] for t in turns]
    per_turn.bar([p - 0.2 for p in positions], [v or 0 for v in audible], 0.4, label="first audible")
    per_turn.bar(
        [p + 0.2 for p in positions], [v or 0 for v in answer], 0.4, label="first word of the answer"
    )
    for position, row in zip(positions, turns, strict=True):
        mark = None
        if row["no_answer"] or row["filler_without_answer"]:
            mark = "no answer" if row["no_answer"] else "filler only"
        elif row.get("agent_spoke_during_line_ms") is not None:
            mark = "spoke during the line"
        if mark is not None:
            per_turn.annotate(mark, (position, 50), rotation=90, ha="center", color="#c0392b", fontsize=8)
    for metric, figure_name, limit in TARGETS.get(result["profile"], []):
        if metric in ("first_audible_ms", "answer_word_ms"):
            per_turn.axhline(
                limit, linestyle="--", color="#c0392b" if metric == "first_audible_ms" else "#e67e22"
            )
            per_turn.annotate(
                f"{metric.removesuffix('_ms')} {figure_name.removesuffix('_ms')} ≤ {limit:.0f}",
                (0, limit),
                fontsize=7,
                va="bottom",
            )
    per_turn.set_xticks(positions, labels, fontsize=7)
    per_turn.set_xlabel("call.turn")
    per_turn.set_ylabel("ms after the caller's last spoken sample")
    greeting = summary["greeting_ms"]["p50_ms"]
    per_turn.set_title(
        f"bench latency, {result['profile']}: {result['calls']} calls, greeting p50 {greeting} ms"
    )
    per_turn.legend(fontsize=8)

    names = ["end_of_turn_ms", "llm_ttft_ms", "tts_ttfb_ms"]
    medians = [summary["hops"][name]["p50_ms"] or 0 for name in names]
    hops.bar([n.removesuffix("_ms") for n in names], medians, color="#4a7ab5")
    hops.set_title("worker spans, p50 (ms)")
    hops.tick_params(axis="x", labelsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
