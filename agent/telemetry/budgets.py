"""Per-hop latency budgets and live-action settings, read from a TOML file (budgets.toml by default)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_BUDGETS = Path(__file__).with_name("budgets.toml")

HOP_FIGURE = {"voice.hop.llm": "ttft_ms", "voice.hop.tts": "ttfb_ms"}
"""Hops judged on an attribute rather than their whole duration (the LLM span runs to the last token)."""


class BudgetFileError(ValueError):
    """The budget file is missing or malformed; one line."""


@dataclass(frozen=True)
class LiveActions:
    """What a call does about a breach while it is happening (the [actions] table)."""

    repeated_breach_turns: int = 3
    """Consecutive breaching turns of one hop before `on_repeated_breach` hooks are called."""


OFFLINE_PROVIDER = "offline"
"""What every provider of the embedded stack reports as `provider`; any other is a cloud one."""


@dataclass(frozen=True)
class BudgetFile:
    budgets_ms: dict[str, float]
    actions: LiveActions = field(default_factory=LiveActions)
    cloud_ms: dict[str, float] = field(default_factory=dict)
    """Allowances for hops a cloud provider served (the [cloud] table); others as `budgets_ms`."""

    def allowances_for(self, provider: str | None) -> dict[str, float]:
        """The allowances a hop served by `provider` is judged by (None: not known, the defaults)."""
        if provider is None or provider == OFFLINE_PROVIDER or not self.cloud_ms:
            return self.budgets_ms
        return {**self.budgets_ms, **self.cloud_ms}


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise BudgetFileError(f"budget file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, IsADirectoryError) as exc:
        raise BudgetFileError(f"{path}: not valid TOML ({exc})") from None


def load_budget_file(path: Path = DEFAULT_BUDGETS) -> BudgetFile:
    document = _read(path)
    table = document.get("budgets")
    if not isinstance(table, dict):
        raise BudgetFileError(f"{path}: expected a [budgets] table of hop = milliseconds")
    budgets = _milliseconds(path, table)
    cloud = document.get("cloud", {})
    if not isinstance(cloud, dict):
        raise BudgetFileError(f"{path}: [cloud] must be a table of hop = milliseconds")
    cloud_ms = _milliseconds(path, cloud)
    raw = document.get("actions", {})
    turns = raw.get("repeated_breach_turns", LiveActions.repeated_breach_turns)
    if isinstance(turns, bool) or not isinstance(turns, int) or turns < 1:
        raise BudgetFileError(f"{path}: actions.repeated_breach_turns must be a whole number >= 1")
    return BudgetFile(budgets, LiveActions(repeated_breach_turns=turns), cloud_ms)


def _milliseconds(path: Path, table: dict) -> dict[str, float]:
    budgets = {}
    for hop, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise BudgetFileError(f"{path}: budget for {hop} must be a positive number of milliseconds")
        budgets[hop] = float(value)
    return budgets


def load_budgets(path: Path = DEFAULT_BUDGETS) -> dict[str, float]:
    return load_budget_file(path).budgets_ms
