"""The front-desk Agent: its instructions, its greeting and its business tools."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator

from livekit import rtc
from livekit.agents import Agent, AgentSession, ModelSettings, llm, stt

from agent.escalation.watcher import confidence_of_finals
from agent.greeting_audio import greeting_audio
from agent.leading_silence import tts_node_without_leading_silence
from agent.telemetry.fillers import llm_node_with_filler
from agent.turns.backchannel_filter import hold_backchannels
from agent.turns.barge_in_gate import tap_caller_audio
from agent.turns.turn_detector import WordsTurnDetector
from agent.turns.word_confidence import MIN_WORD_CONFIDENCE
from tools.front_desk_tools import BusinessContext, FrontDeskTools

INSTRUCTIONS = (
    "You are the phone front desk of Northside Home Services, a plumbing, heating and "
    "electrical company. Keep every reply to one or two short spoken sentences, with no "
    "lists or markdown. Ask one question at a time. Use the tools for every fact about "
    "accounts, times and jobs; never invent them. Confirm before booking, moving or "
    "cancelling anything. For gas smells, flooding or sparking, call report_emergency first. "
    "When the caller asks for a person or a manager, or you cannot help, call transfer_to_human."
)


CALLER_LISTENING_WAIT_S = 3.0
"""After this the greeting is queued anyway; the room sends it once the caller subscribes."""


async def until_caller_listens(session: AgentSession, timeout: float = CALLER_LISTENING_WAIT_S) -> None:
    """Until the caller subscribes to our audio, or `timeout`.

    A greeting synthesised before then reaches the room in one burst once the caller subscribes,
    and LiveKit's transcript synchronizer works through all of it in one go on the event loop:
    the first 50 ms went out, then the caller heard 60-190 ms of silence inside the first word.
    """
    try:
        subscribed = session.room_io.subscribed_fut
    except RuntimeError:  # no room: a text-only or test session
        return
    if subscribed is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(subscribed), timeout)


async def _words(text: str) -> AsyncIterator[str]:
    yield text


class FrontDesk(FrontDeskTools, Agent):
    def __init__(self, *, greeting: str, business: BusinessContext) -> None:
        super().__init__(instructions=INSTRUCTIONS)
        self._greeting = greeting
        self.business = business

    async def on_enter(self) -> None:
        engine = self.session.tts
        if engine is None:  # a text-only session
            self.session.say(self._greeting, allow_interruptions=True)
            return
        # synthesized once per process, and this time while the caller subscribes (greeting_audio.py)
        audio = greeting_audio(
            self._greeting, engine, lambda: self.tts_node(_words(self._greeting), ModelSettings())
        )
        await until_caller_listens(self.session)
        # A fixed greeting is spoken directly: no LLM round trip before the caller hears us.
        self.session.say(self._greeting, audio=audio, allow_interruptions=True)

    def llm_node(
        self, chat_ctx: llm.ChatContext, tools: list[llm.Tool], model_settings: ModelSettings
    ) -> AsyncIterable[object]:
        # LiveKit's node, wrapped by telemetry: a late first token gets a filler (budgets.toml)
        return llm_node_with_filler(self, chat_ctx, tools, model_settings)

    def stt_node(
        self, audio: AsyncIterable[rtc.AudioFrame], model_settings: ModelSettings
    ) -> AsyncIterable[stt.SpeechEvent | str] | None:
        # the energy gate hears the caller's sound before Silero does (agent/turns/barge_in_gate.py)
        tapped = tap_caller_audio(audio, self.session.userdata.barge_in_gate)
        events = Agent.default.stt_node(self, tapped, model_settings)
        if events is None:
            return None
        detector = self.session.turn_detection
        words_detector = detector if isinstance(detector, WordsTurnDetector) else None
        # "uh-huh" over a reply must not end it (agent/turns/backchannel_filter.py)
        events = hold_backchannels(
            events,
            self.session,
            min_word_confidence=words_detector.min_word_confidence if words_detector else MIN_WORD_CONFIDENCE,
        )
        # the turn detector reads how sure the STT was of each final's last words
        if words_detector is not None:
            events = words_detector.heard.watch(events)
        # a final the STT was unsure of is a failed turn for the escalation policy
        return confidence_of_finals(events, self.session.userdata)

    def tts_node(
        self, text: AsyncIterable[str], model_settings: ModelSettings
    ) -> AsyncIterable[rtc.AudioFrame]:
        # the caller hears the reply from its first sound, not after the TTS's lead-in silence
        return tts_node_without_leading_silence(self, text, model_settings)
