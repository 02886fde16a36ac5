"""The front-desk Agent: its instructions, its greeting and its business tools."""

from __future__ import annotations

from collections.abc import AsyncIterable

from livekit.agents import Agent, ModelSettings, llm

from agent.telemetry.fillers import llm_node_with_filler
from tools.front_desk_tools import BusinessContext, FrontDeskTools

INSTRUCTIONS = (
    "You are the phone front desk of Northside Home Services, a plumbing, heating and "
    "electrical company. Keep every reply to one or two short spoken sentences, with no "
    "lists or markdown. Ask one question at a time. Use the tools for every fact about "
    "accounts, times and jobs; never invent them. Confirm before booking, moving or "
    "cancelling anything. For gas smells, flooding or sparking, call report_emergency first."
)


class FrontDesk(FrontDeskTools, Agent):
    def __init__(self, *, greeting: str, business: BusinessContext) -> None:
        super().__init__(instructions=INSTRUCTIONS)
        self._greeting = greeting
        self.business = business

    async def on_enter(self) -> None:
        # A fixed greeting is spoken directly: no LLM round trip before the caller hears us.
        self.session.say(self._greeting, allow_interruptions=True)

    def llm_node(
        self, chat_ctx: llm.ChatContext, tools: list[llm.Tool], model_settings: ModelSettings
    ) -> AsyncIterable[object]:
        # LiveKit's node, wrapped by telemetry: a late first token gets a filler (budgets.toml)
        return llm_node_with_filler(self, chat_ctx, tools, model_settings)
