"""Live budget actions: the budget file's [actions] table."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.telemetry.budgets import BudgetFileError, load_budget_file


def test_budget_file_actions(tmp_path: Path) -> None:
    default = load_budget_file()
    assert default.budgets_ms["voice.hop.round_trip"] == 1000
    assert default.actions.repeated_breach_turns == 3
    bad = tmp_path / "b.toml"
    bad.write_text('[budgets]\n"voice.hop.llm" = 300\n[actions]\nrepeated_breach_turns = 0\n')
    with pytest.raises(BudgetFileError, match="repeated_breach_turns"):
        load_budget_file(bad)
