"""Quick confirms: a short, pre-rendered acknowledgement when the answer is predicted to be late.

On a cloud stack the caller's wait is the LLM's first token plus the voice's first audio (about
1.1 s at public p50 figures). A few words at once ("Sure.", "Let me see.") tell the caller they
were heard, while the answer is generated and synthesized in parallel. They are:

- pre-rendered at call start through the call's own voice (and the phrase cache), so one plays
  with no TTS request;
- chosen by what the caller did (asked, answered, requested), and varied;
- played only when the answer is predicted to arrive after the confirm has finished, so it never
  delays the answer;
- never a claim ("I've booked that"): only that the caller was heard, or that a check is running
  while a tool actually runs.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from livekit import rtc
from livekit.agents import tts

from agent.replies.leading_silence import trim_leading_silence
from agent.replies.reply_timing import ReplyTimer, save_timer

logger = logging.getLogger("voice_agent.replies")


class CallerAct(Enum):
    QUESTION = "question"
    REQUEST = "request"
    ANSWER = "answer"
    CLOSING = "closing"
    """A goodbye or a thank-you."""


CONFIRMS: dict[CallerAct, tuple[str, ...]] = {
    CallerAct.QUESTION: ("Let me see.", "Let me look.", "Okay, let me see."),
    CallerAct.REQUEST: ("Sure.", "Of course.", "Sure thing."),
    CallerAct.ANSWER: ("Got it.", "Okay, thanks.", "Thank you."),
    CallerAct.CLOSING: ("Alright.", "Okay."),
}
TOOL_CONFIRMS: tuple[str, ...] = ("Let me check.", "Checking now.", "Let me look that up.")
"""Said as a tool call starts (tools/front_desk_tools.py), never after it."""
TOOL_FOLLOW_UPS: tuple[str, ...] = ("Still checking.", "Just a moment more.")
"""Said as a second tool call of the same turn starts: the first confirm again would sound stuck."""

_QUESTION_START = re.compile(
    r"^(is|are|was|were|do|does|did|how|what|when|where|which|who|whom|whose|why|have|has|any|anything)\b"
)
_REQUEST = re.compile(
    r"\b(i'?d like|i would like|i want|i need|i'm looking|please|can you|could you|would you|will you|"
    r"go ahead|book|schedule|cancel|reschedule|move|send|set up|sign me)\b"
)
_CLOSING = re.compile(r"\b(bye|goodbye|that's all|that is all|that's it|nothing else|have a good)\b")


def caller_act(text: str) -> CallerAct:
    """What the caller's turn did, read from its words: a request wins over the question it may be phrased as."""
    words = text.strip().lower().replace("’", "'")
    if _CLOSING.search(words):
        return CallerAct.CLOSING
    if _REQUEST.search(words):
        return CallerAct.REQUEST
    if words.endswith("?") or _QUESTION_START.search(words):
        return CallerAct.QUESTION
    return CallerAct.ANSWER


@dataclass(frozen=True)
class Confirm:
    text: str
    frames: tuple[rtc.AudioFrame, ...]

    @property
    def duration_s(self) -> float:
        return sum(frame.duration for frame in self.frames)

    async def play(self) -> AsyncIterator[rtc.AudioFrame]:
        for frame in self.frames:
            yield frame


MARGIN_S = 0.15
"""The answer must be predicted this much after the confirm ends: a confirm never delays it."""


@dataclass
class QuickConfirms:
    """One call's confirms: rendered once at its start, then picked turn by turn."""

    timer: ReplyTimer
    chain: str = ""
    timing_file: Path | None = None
    """Where the timer is kept for the next call on this chain (reply_timing.py)."""
    confirms: dict[CallerAct, tuple[str, ...]] = field(default_factory=lambda: dict(CONFIRMS))
    tool_confirms: tuple[str, ...] = TOOL_CONFIRMS
    tool_follow_ups: tuple[str, ...] = TOOL_FOLLOW_UPS
    margin_s: float = MARGIN_S
    tool_confirms_per_turn: int = 2
    _tool_steps: int = 0
    _rendered: dict[str, Confirm] = field(default_factory=dict)
    _last: dict[str, str] = field(default_factory=dict)
    _turns: dict[str, int] = field(default_factory=dict)

    @property
    def phrases(self) -> list[str]:
        """Every phrase, the first of each kind first: on a fresh phrase cache a cloud voice takes
        0.4-0.8 s a phrase, and the caller's first turn may come before all are rendered."""
        groups = [*self.confirms.values(), self.tool_confirms, self.tool_follow_ups]
        return [
            group[i] for i in range(max(map(len, groups), default=0)) for group in groups if i < len(group)
        ]

    async def render(self, engine: tts.TTS, *, at_once: int = 4) -> None:
        """Synthesizes every phrase through the call's voice; one that fails is simply never played."""
        # a semaphore grants in request order, so the first phrase of each kind goes first
        limiter = asyncio.Semaphore(at_once)

        async def _one(text: str) -> None:
            async with limiter:
                try:
                    frames = [frame async for frame in trim_leading_silence(_synthesized(engine, text))]
                except Exception as error:  # a confirm is optional: the call goes on without it
                    logger.warning("quick confirm not rendered", extra={"error": type(error).__name__})
                    return
            if frames:
                self._rendered[text] = Confirm(text, tuple(frames))

        await asyncio.gather(*(_one(text) for text in self.phrases))

    async def keep_timing(self) -> None:
        await asyncio.to_thread(save_timer, self.timing_file, self.chain, self.timer)

    def for_turn(self, caller_text: str, *, generating_for_s: float) -> Confirm | None:
        """The confirm to play as the caller's turn ends, or None when the answer will be in time."""
        self.new_turn()
        options = self.confirms.get(caller_act(caller_text), ())
        return self._pick("turn", options, waiting_s=self.timer.remaining_s(generating_for_s))

    def for_tool(self) -> Confirm | None:
        """A confirm as a tool call starts, when the reply after it (one more LLM request and its
        first audio) is predicted late: the caller is told a check is under way, which it is.

        At most `tool_confirms_per_turn` a turn: a booking can take two tool steps, each a full
        LLM request, and without them the caller waited ~2 s in silence after the first confirm.
        """
        if self._tool_steps >= self.tool_confirms_per_turn:
            return None
        options = self.tool_follow_ups if self._tool_steps else self.tool_confirms
        confirm = self._pick("tool", options, waiting_s=self.timer.remaining_s(0.0))
        if confirm is not None:
            self._tool_steps += 1
        return confirm

    def new_turn(self) -> None:
        self._tool_steps = 0

    def _pick(self, kind: str, options: Sequence[str], *, waiting_s: float) -> Confirm | None:
        # only a confirm that ends before the answer is predicted to start: it never delays it
        fitting = [
            self._rendered[text]
            for text in options
            if text in self._rendered and self._rendered[text].duration_s + self.margin_s <= waiting_s
        ]
        if not fitting:
            return None
        # varied: take turns through the phrases, never the same one twice in a row
        turn = self._turns.get(kind, 0)
        choice = fitting[turn % len(fitting)]
        if len(fitting) > 1 and choice.text == self._last.get(kind):
            choice = fitting[(turn + 1) % len(fitting)]
        self._turns[kind] = turn + 1
        self._last[kind] = choice.text
        return choice


async def _synthesized(engine: tts.TTS, text: str) -> AsyncIterator[rtc.AudioFrame]:
    async with engine.synthesize(text) as stream:
        async for audio in stream:
            yield audio.frame


def all_phrases(confirms: Iterable[str] = ()) -> list[str]:
    """Every text a confirm can say, for code that must tell a confirm from an answer."""
    return [
        *(text for texts in CONFIRMS.values() for text in texts),
        *TOOL_CONFIRMS,
        *TOOL_FOLLOW_UPS,
        *confirms,
    ]


def without_leading_confirms(said: str) -> str:
    """`said` past any confirms it opens with: what is left is the answer."""
    rest = said.strip()
    phrases = sorted([*all_phrases(), FILLER_TEXT], key=len, reverse=True)
    while True:
        for phrase in phrases:
            if rest.startswith(phrase):
                rest = rest.removeprefix(phrase).lstrip()
                break
        else:
            return rest


FILLER_TEXT = "One moment while I check that."
"""The tool confirm's words when no pre-rendered confirm is ready (tools/front_desk_tools.py)."""
