"""Node wrapper for a late LLM: when the first token misses its allowance, the reply opens
with a short filler so the caller hears something (at most once per turn)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import TypeVar

from livekit.agents import Agent, ModelSettings, llm

Chunk = TypeVar("Chunk")


async def with_first_token_filler(
    chunks: AsyncIterable[Chunk],
    *,
    allowance_s: float,
    claim_filler: Callable[[], str | None],
) -> AsyncIterator[Chunk | str]:
    """Yields `chunks` unchanged; if none arrives within `allowance_s`, first yields the text
    `claim_filler()` returns (None when this turn already had its filler)."""
    iterator = aiter(chunks)
    first = asyncio.ensure_future(anext(iterator))
    try:
        done, _ = await asyncio.wait({first}, timeout=allowance_s)
        if not done and (text := claim_filler()) is not None:
            # spoken at once, through the reply's own speech: a separate say() would queue
            # behind the reply that is still generating
            yield text + " "
        try:
            yield await first
        except StopAsyncIteration:
            return
    finally:
        if not first.done():
            first.cancel()
    async for chunk in iterator:
        yield chunk


def llm_node_with_filler(
    agent: Agent, chat_ctx: llm.ChatContext, tools: list[llm.Tool], model_settings: ModelSettings
) -> AsyncIterable[object]:
    """Drop-in `Agent.llm_node`: LiveKit's default node, opened by a filler when it runs late."""
    from agent.telemetry.call_telemetry import telemetry_for

    chunks = Agent.default.llm_node(agent, chat_ctx, tools, model_settings)
    telemetry = telemetry_for(agent.session)
    if telemetry is None:
        return chunks
    return with_first_token_filler(
        chunks, allowance_s=telemetry.llm_allowance_s, claim_filler=telemetry.claim_filler
    )
