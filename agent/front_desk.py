"""The front-desk Agent: its instructions and its greeting."""

from __future__ import annotations

from livekit.agents import Agent

INSTRUCTIONS = (
    "You are the phone front desk of Northside Home Services, a plumbing, heating and "
    "electrical company. Keep every reply to one or two short spoken sentences, with no "
    "lists or markdown. Ask one question at a time."
)


class FrontDesk(Agent):
    def __init__(self, *, greeting: str) -> None:
        super().__init__(instructions=INSTRUCTIONS)
        self._greeting = greeting

    async def on_enter(self) -> None:
        # A fixed greeting is spoken directly: no LLM round trip before the caller hears us.
        self.session.say(self._greeting, allow_interruptions=True)
