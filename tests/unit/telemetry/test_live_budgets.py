"""Live budget actions: the budget file's [actions] table."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.telemetry.budget_monitor import BudgetMonitor
from agent.telemetry.budgets import BudgetFileError, load_budget_file


def test_budget_file_actions(tmp_path: Path) -> None:
    default = load_budget_file()
    assert default.budgets_ms["voice.hop.round_trip"] == 1000
    assert default.actions.repeated_breach_turns == 3
    bad = tmp_path / "b.toml"
    bad.write_text('[budgets]\n"voice.hop.llm" = 300\n[actions]\nrepeated_breach_turns = 0\n')
    with pytest.raises(BudgetFileError, match="repeated_breach_turns"):
        load_budget_file(bad)


def test_a_hop_is_judged_by_the_chain_that_served_it() -> None:
    budgets = load_budget_file()
    monitor = BudgetMonitor(budgets.budgets_ms, cloud_ms=budgets.cloud_ms)
    # gpt-4.1's public p50 first token: within the cloud's allowance, far over the offline stack's
    assert not monitor.breached("voice.hop.llm", 683, provider="api.openai.com")
    assert monitor.breached("voice.hop.llm", 683, provider="offline")
    assert monitor.breached("voice.hop.llm", 1100, provider="api.openai.com")
    # the SLO hops are the same for every chain
    assert monitor.breached("voice.hop.round_trip", 1100, provider="api.openai.com")
    assert budgets.allowances_for("offline") == budgets.budgets_ms


def test_a_malformed_cloud_table_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "b.toml"
    bad.write_text('[budgets]\n"voice.hop.llm" = 300\n[cloud]\n"voice.hop.llm" = "fast"\n')
    with pytest.raises(BudgetFileError, match=r"voice\.hop\.llm must be a positive number"):
        load_budget_file(bad)
