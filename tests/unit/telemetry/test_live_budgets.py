"""Live budget actions: the late-first-token filler, the budget file's [actions] table."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from agent.telemetry.budgets import BudgetFileError, load_budget_file
from agent.telemetry.fillers import with_first_token_filler


async def chunks(delay: float, items: list[str]):
    await asyncio.sleep(delay)
    for item in items:
        yield item


async def collect(delay: float, claims: list[str | None]) -> list[str]:
    stream = with_first_token_filler(
        chunks(delay, ["Hello", " there"]), allowance_s=0.05, claim_filler=lambda: claims.pop(0)
    )
    return [chunk async for chunk in stream]


async def test_a_late_first_token_is_preceded_by_the_filler_once() -> None:
    assert await collect(0.15, ["One moment.", None]) == ["One moment. ", "Hello", " there"]
    # the turn already had its filler: nothing more is said
    assert await collect(0.15, [None]) == ["Hello", " there"]


async def test_a_prompt_first_token_gets_no_filler() -> None:
    assert await collect(0.0, ["One moment."]) == ["Hello", " there"]


def test_budget_file_actions(tmp_path: Path) -> None:
    default = load_budget_file()
    assert default.budgets_ms["voice.hop.round_trip"] == 1000
    assert default.actions.filler_text == "One moment." and default.actions.repeated_breach_turns == 3
    bad = tmp_path / "b.toml"
    bad.write_text('[budgets]\n"voice.hop.llm" = 300\n[actions]\nrepeated_breach_turns = 0\n')
    with pytest.raises(BudgetFileError, match="repeated_breach_turns"):
        load_budget_file(bad)
