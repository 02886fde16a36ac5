"""Per-hop latency budgets, read from a TOML file (agent/telemetry/budgets.toml by default)."""

from __future__ import annotations

import tomllib
from pathlib import Path

DEFAULT_BUDGETS = Path(__file__).with_name("budgets.toml")

HOP_FIGURE = {"voice.hop.llm": "ttft_ms", "voice.hop.tts": "ttfb_ms"}
"""Hops judged on an attribute rather than their whole duration (the LLM span runs to the last token)."""


class BudgetFileError(ValueError):
    """The budget file is missing or malformed; one line."""


def load_budgets(path: Path = DEFAULT_BUDGETS) -> dict[str, float]:
    try:
        table = tomllib.loads(path.read_text())["budgets"]
    except FileNotFoundError:
        raise BudgetFileError(f"budget file not found: {path}") from None
    except (tomllib.TOMLDecodeError, KeyError) as exc:
        raise BudgetFileError(f"{path}: expected a [budgets] table of hop = milliseconds ({exc})") from None
    budgets = {}
    for hop, value in table.items():
        if not isinstance(value, int | float) or value <= 0:
            raise BudgetFileError(f"{path}: budget for {hop} must be a positive number of milliseconds")
        budgets[hop] = float(value)
    return budgets
