"""Every dialog scenario makes its expected tool call with the expected arguments."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.bench_common import BenchInputError
from evals.bench_dialog import DEFAULT_SCENARIOS, load_scenarios, simulate

SCENARIOS = load_scenarios(DEFAULT_SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_scenario(scenario: dict) -> None:
    expected = scenario["expect"]
    calls = [(c.name, c.arguments) for c in simulate(scenario)]
    assert (expected["tool"], expected["arguments"]) in calls, calls


def test_side_effects_wait_for_a_yes() -> None:
    scenario = {
        "turns": ["Please cancel appointment APT-1042", "This is Dana Whitfield, zip 60614"],
        "tool_results": {},
    }
    assert "cancel_appointment" not in [c.name for c in simulate(scenario)]


def test_bad_scenario_files_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- name: x\n  turns: [a]\n")
    with pytest.raises(BenchInputError, match="scenario 1 needs name, turns and expect"):
        load_scenarios(bad)
    with pytest.raises(BenchInputError, match="not found"):
        load_scenarios(tmp_path / "missing.yaml")
