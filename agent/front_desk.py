"""The front-desk Agent: its instructions, its greeting and its business tools."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Coroutine
from typing import Any

from livekit import rtc
from livekit.agents import (
    Agent,
    AgentSession,
    ModelSettings,
    llm,
    stt,
    tts,
)
from livekit.agents.metrics import LLMMetrics, TTSMetrics
from livekit.agents.voice import SpeechHandle

from agent.escalation.watcher import confidence_of_finals
from agent.replies.greeting_audio import greeting_audio
from agent.replies.leading_silence import tts_node_without_leading_silence
from agent.replies.quick_confirms import QuickConfirms
from agent.telemetry.call_telemetry import telemetry_for
from agent.turns.backchannel_filter import hold_backchannels
from agent.turns.barge_in_gate import tap_caller_audio
from agent.turns.turn_detector import WordsTurnDetector
from agent.turns.word_confidence import MIN_WORD_CONFIDENCE
from tools.front_desk_tools import FILLER, BusinessContext, FrontDeskTools

INSTRUCTIONS = (
    "You are the phone front desk of Northside Home Services, a plumbing, heating and "
    "electrical company. Keep every reply to one or two short spoken sentences, with no "
    "lists or markdown. Ask one question at a time. Use the tools for every fact about "
    "accounts, times and jobs; never invent them. Confirm before booking, moving or "
    "cancelling anything. For gas smells, flooding or sparking, call report_emergency first. "
    "When the caller asks for a person or a manager, or you cannot help, call transfer_to_human."
)


RECENT_GENERATION_S = 3.0
"""A reply generation started longer ago than this belongs to an earlier turn."""

CACHED_AUDIO_S = 0.005
"""First audio sooner than this came from the phrase cache, not from the voice."""

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
    def __init__(
        self, *, greeting: str, business: BusinessContext, confirms: QuickConfirms | None = None
    ) -> None:
        super().__init__(instructions=INSTRUCTIONS)
        self._greeting = greeting
        self.business = business
        self.confirms = confirms
        """Pre-rendered acknowledgements for a late answer (agent/replies/quick_confirms.py)."""
        self._generation_started_at: float | None = None
        self._confirmed_call = ""
        self._background: set[asyncio.Task[None]] = set()
        self._confirms_prepared = False

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
        self._prepare_confirms(engine)

    def _prepare_confirms(self, engine: object) -> None:
        """Renders the quick confirms while the greeting plays, and times this call's replies."""
        confirms = self.confirms
        if confirms is None or not isinstance(engine, tts.TTS) or self._confirms_prepared:
            return
        self._confirms_prepared = True
        task = self._in_background(confirms.render(engine), "quick-confirms.render")

        # the call's own providers (not the session, whose metrics event is deprecated) report
        # each request's first token and first audio
        def _llm_timed(metrics: object) -> None:
            if isinstance(metrics, LLMMetrics):
                confirms.timer.observe_llm(metrics.ttft)

        def _tts_timed(metrics: object) -> None:
            # a phrase replayed from the cache says nothing about the voice's own speed
            if isinstance(metrics, TTSMetrics) and metrics.ttfb > CACHED_AUDIO_S:
                confirms.timer.observe_tts(metrics.ttfb)

        if isinstance(self.session.llm, llm.LLM):
            self.session.llm.on("metrics_collected", _llm_timed)
        # the voices' own requests (not the pipelined stream's, timed from text it may have had
        # early), from once the confirms are rendered: those are mostly replays
        voices = getattr(engine, "inner", engine)
        task.add_done_callback(lambda _task: voices.on("metrics_collected", _tts_timed))

    def _in_background(self, work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        # a fresh context: outside `on_enter`'s span, which ends long before the work does (the
        # TTS fallback adapter stamps its serving voice on the span current at the request)
        task = asyncio.create_task(work, name=name, context=contextvars.Context())
        # the loop holds tasks weakly: kept here until done
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def on_user_turn_completed(self, turn_ctx: llm.ChatContext, new_message: llm.ChatMessage) -> None:
        # the reply (possibly generating already, preemptively) is scheduled right after this
        # returns, so a confirm said here plays first while the answer's LLM and TTS run on
        if self.confirms is None or self.session.tts is None:
            return
        # what this call measured so far goes to the next call on the chain
        self._in_background(self.confirms.keep_timing(), "quick-confirms.keep-timing")
        started = self._generation_started_at
        now = time.perf_counter()
        generating_for = now - started if started is not None and now - started < RECENT_GENERATION_S else 0.0
        confirm = self.confirms.for_turn(new_message.text_content or "", generating_for_s=generating_for)
        if confirm is None:
            return
        self.session.say(confirm.text, audio=confirm.play(), add_to_chat_ctx=False, allow_interruptions=True)
        if (telemetry := telemetry_for(self.session)) is not None:
            telemetry.note_confirm(
                confirm.text, predicted_wait_s=self.confirms.timer.remaining_s(generating_for)
            )

    def tool_started(self, tool: str, call_id: str) -> None:
        # the reply after a tool is one more LLM request: on a cloud stack the caller would wait
        # through it (and a second tool step) in silence. One confirm per tool call, whatever
        # number of backend operations it makes.
        if self.confirms is None or call_id == self._confirmed_call:
            return
        self._confirmed_call = call_id
        confirm = self.confirms.for_tool()
        if confirm is not None:
            self.session.say(confirm.text, audio=confirm.play(), add_to_chat_ctx=False)

    def tool_filler(self) -> str | Callable[[int], SpeechHandle | str | None]:
        """A tool running long gets the filler, kept out of the LLM's context."""

        def _say(_step: int) -> SpeechHandle | str | None:
            # a tool that runs long (past its own allowance): said through the voice, once
            return self.session.say(FILLER, add_to_chat_ctx=False)

        return _say

    def llm_node(
        self, chat_ctx: llm.ChatContext, tools: list[llm.Tool], model_settings: ModelSettings
    ) -> AsyncIterable[llm.ChatChunk | str]:
        # when it started tells a turn's end how long its answer has been generating already
        self._generation_started_at = time.perf_counter()
        return Agent.default.llm_node(self, chat_ctx, tools, model_settings)

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
