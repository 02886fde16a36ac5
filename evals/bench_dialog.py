"""`voice-agent bench dialog [SCENARIOS]`: does the offline dialog engine pick the right tool
with the right arguments?

Each scenario is a few caller turns plus canned tool results; the engine runs on a fixed
clock (scenario dates are absolute), and a scenario passes when the expected tool call is
made with exactly the expected arguments.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from agent.providers.offline.dialog.conversation import Conversation, ToolOutcome
from agent.providers.offline.dialog.policy import Reply, ToolCall, decide
from evals.bench_common import BenchInputError

DEFAULT_SCENARIOS = Path(__file__).parent / "scenarios" / "dialog.yaml"
BENCH_NOW = dt.datetime(2026, 11, 24, 10, 0)  # a Tuesday
MAX_TOOL_STEPS = 4
TOOL_NAMES = {
    "find_customer", "verify_caller", "check_availability", "book_appointment", "reschedule_appointment",
    "cancel_appointment", "job_status", "create_ticket", "schedule_callback", "report_emergency",
}  # fmt: skip


def load_scenarios(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise BenchInputError(f"scenario file not found: {path}")
    try:
        scenarios = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise BenchInputError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(scenarios, list) or not scenarios:
        raise BenchInputError(f"{path}: expected a list of scenarios")
    for index, scenario in enumerate(scenarios, 1):
        if not isinstance(scenario, dict) or not {"name", "turns", "expect"} <= scenario.keys():
            raise BenchInputError(f"{path}: scenario {index} needs name, turns and expect")
    return scenarios


def simulate(scenario: dict[str, Any]) -> list[ToolCall]:
    view = Conversation()
    results: dict[str, Any] = scenario.get("tool_results") or {}
    calls: list[ToolCall] = []
    for turn in scenario["turns"]:
        view.user_texts.append(str(turn))
        view.last_item_is_tool_output = False
        for _ in range(MAX_TOOL_STEPS):
            decision = decide(view, now=BENCH_NOW, tool_names=TOOL_NAMES)
            if isinstance(decision, Reply):
                view.last_assistant_text = decision.text
                break
            calls.append(decision)
            output = results.get(decision.name, {"say": "Done."})
            view.tool_outcomes.append(
                ToolOutcome(
                    decision.name, decision.arguments, output, False, after_user_turn=len(view.user_texts)
                )
            )
            view.last_item_is_tool_output = True
    return calls


def run(path: Path | None, *, progress: Callable[[str], None]) -> dict[str, object]:
    scenarios = load_scenarios(path or DEFAULT_SCENARIOS)
    right_tool = right_arguments = 0
    failures = []
    for index, scenario in enumerate(scenarios):
        expected = scenario["expect"]
        calls = simulate(scenario)
        same_tool = [c for c in calls if c.name == expected["tool"]]
        exact = [c for c in same_tool if c.arguments == expected.get("arguments", c.arguments)]
        right_tool += bool(same_tool)
        right_arguments += bool(exact)
        if not exact:
            failures.append(
                {"scenario": scenario["name"], "expected": expected, "calls": [vars(c) for c in calls]}
            )
        progress(f"bench dialog: {index + 1}/{len(scenarios)}")
    return {
        "benchmark": "dialog",
        "scenarios": len(scenarios),
        "tool_choice_accuracy": round(right_tool / len(scenarios), 4),
        "tool_and_arguments_accuracy": round(right_arguments / len(scenarios), 4),
        "failures": json.loads(json.dumps(failures, default=str)),
    }
