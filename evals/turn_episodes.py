"""One measured moment of a call: a caller turn, or a sound made over the agent's reply."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field

from evals.turn_caller import TurnCaller
from evals.turn_stimuli import Stimulus

REPLY_TIMEOUT_S = 10.0
REPLY_DONE_QUIET_S = 1.5
"""Quiet that ends a reply: longer than the pauses between its sentences and a resumed pause."""
EVENT_INTO_REPLY_S = 0.8
"""How far into the agent's reply the caller speaks over it."""
FALSE_STOP_SILENCE_S = 0.6
CUTOFF_SEARCH_S = 3.0
KEPT_WORDS_MIN = 0.7
SPEAKING_WAIT_S = 0.6
RESUME_WATCH_S = 2.0
"""After an acknowledgement, how long the reply has to come back before its silence stops growing."""


@dataclass
class TurnResult:
    kind: str
    label: str
    answered: bool = False
    round_trip_ms: float | None = None
    early_answer: bool = False
    agent_heard: str = ""
    """Filled in once the reply is over: the turn's final transcripts as the agent published them."""
    spoken_at: float = field(default=0.0, repr=False)


@dataclass
class EventResult:
    kind: str
    label: str
    skipped: str = ""
    cutoff_ms: float | None = None
    longest_silence_ms: float = 0.0
    resumed_after_ms: float | None = None
    """For a sound that paused the reply: from the sound's end to the reply audible again."""
    restarted: bool = False
    abandoned: bool = False
    answered_the_sound: bool = False
    resumed_over_caller: bool = False
    answered: bool = False
    truncated: bool = False
    agent_heard: str = ""
    gaps_ms: list[float] = field(default_factory=list)
    spoken_at_unix: float = 0.0
    """When our sound started, unix time: lines the event up with the worker's DEBUG state log."""

    @property
    def false_stop(self) -> bool:
        return self.restarted or self.abandoned or self.longest_silence_ms >= FALSE_STOP_SILENCE_S * 1000

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "false_stop": self.false_stop}


async def take_turn(caller: TurnCaller, stimulus: Stimulus) -> tuple[TurnResult, float | None]:
    """Speak a whole turn after the agent went quiet; returns the result and the reply's onset
    (the reply goes on: something may be said over it)."""
    await caller.wait_quiet(REPLY_DONE_QUIET_S, REPLY_TIMEOUT_S)
    first, _ = await caller.say(stimulus.samples)
    speech_start = first + stimulus.audible_start_s
    speech_end = first + stimulus.audible_end_s
    result = TurnResult(stimulus.kind, stimulus.label)
    onset = await caller.wait_onset_after(speech_start, REPLY_TIMEOUT_S)
    if onset is None:
        return result, None
    result.answered = True
    result.early_answer = onset < speech_end
    if not result.early_answer:
        result.round_trip_ms = round((onset - speech_end) * 1000, 1)
    result.spoken_at = speech_start
    return result, onset


async def _speak_over(
    caller: TurnCaller, stimulus: Stimulus, reply_onset: float
) -> tuple[float, float] | None:
    await asyncio.sleep(max(0.0, reply_onset + EVENT_INTO_REPLY_S - time.perf_counter()))
    deadline = time.perf_counter() + SPEAKING_WAIT_S
    # between two words or sentences the agent is briefly quiet: speak once it is audible again
    while not caller.timeline.audible_at(time.perf_counter(), tolerance=0.05):
        if time.perf_counter() > deadline:
            return None
        await asyncio.sleep(0.01)
    first, _ = await caller.say(stimulus.samples)
    return first + stimulus.audible_start_s, first + stimulus.audible_end_s


async def speak_over_reply(caller: TurnCaller, stimulus: Stimulus, reply_onset: float) -> EventResult:
    """A backchannel, noise or interruption 0.8 s into the agent's reply, and what the agent did."""
    result = EventResult(stimulus.kind, stimulus.label)
    spoken = await _speak_over(caller, stimulus, reply_onset)
    if spoken is None:
        result.skipped = "the agent was not speaking"
        return result
    start, end = spoken
    result.spoken_at_unix = round(time.time() - (time.perf_counter() - start), 3)
    if stimulus.kind == "interruption":
        await _judge_interruption(caller, stimulus, result, start, end)
    else:
        await _judge_backchannel(caller, result, start, end)
    return result


async def _judge_interruption(
    caller: TurnCaller, stimulus: Stimulus, result: EventResult, start: float, end: float
) -> None:
    gaps = caller.timeline.gaps(start, min(time.perf_counter(), start + CUTOFF_SEARCH_S))
    if gaps:
        result.cutoff_ms = round((gaps[0][0] - start) * 1000, 1)
        # the agent talking again before we finished: it resumed over a real request
        talked_again = caller.timeline.first_onset_after(gaps[0][1] - 0.01)
        result.resumed_over_caller = talked_again is not None and talked_again < end - 0.05
    onset = await caller.wait_onset_after(end, REPLY_TIMEOUT_S)
    result.answered = onset is not None
    await caller.wait_quiet(REPLY_DONE_QUIET_S, REPLY_TIMEOUT_S)
    result.agent_heard = caller.heard_from_caller_since(start - 0.2)
    result.truncated = is_truncated(result.agent_heard, stimulus)


def is_truncated(heard: str, stimulus: Stimulus) -> bool:
    """Words went missing: under `KEPT_WORDS_MIN` of them reached the agent, or none of the request's
    key words did. A misheard word ("heater" as "fever") is the STT's error, not a truncation."""
    said_words, heard_words = len(stimulus.label.split()), len(heard.split())
    key_heard = any(word in heard.lower() for word in stimulus.expect_words)
    return heard_words < KEPT_WORDS_MIN * said_words or not key_heard


async def _judge_backchannel(caller: TurnCaller, result: EventResult, start: float, end: float) -> None:
    # a reply held paused longer than the quiet that ends a reply must still count as silence
    await asyncio.sleep(max(0.0, end + RESUME_WATCH_S - time.perf_counter()))
    await caller.wait_quiet(REPLY_DONE_QUIET_S, REPLY_TIMEOUT_S)
    reply_end = max(caller.timeline.last_audible_end() or end, end + RESUME_WATCH_S)
    gaps = caller.timeline.gaps(start, reply_end)
    result.gaps_ms = [round((to - frm) * 1000, 1) for frm, to in gaps]
    result.longest_silence_ms = max(result.gaps_ms, default=0.0)
    if gaps:
        result.resumed_after_ms = round((gaps[0][1] - end) * 1000, 1)
    opened_during = caller.agent_segments_opened(start, reply_end)
    result.restarted = bool(opened_during)
    playing = [s for s in caller.segments.values() if not s.heard_from_caller and s.opened_at < start]
    if playing:
        last = max(playing, key=lambda s: s.opened_at)
        result.abandoned = bool(last.text) and not last.text.rstrip().endswith((".", "?", "!"))
    await asyncio.sleep(0.8)
    result.answered_the_sound = bool(caller.agent_segments_opened(reply_end, time.perf_counter()))
