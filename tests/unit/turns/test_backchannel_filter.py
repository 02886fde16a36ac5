"""Acknowledgements over a reply are held back from LiveKit; real words, and answers, are not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from livekit.agents import stt
from livekit.agents.types import TimedString

from agent.turns.backchannel_filter import hold_backchannels


@dataclass
class _Speech:
    finished: bool = False
    allow_interruptions: bool = True

    def done(self) -> bool:
        return self.finished


@dataclass
class _Session:
    current_speech: _Speech | None = None


def _final(text: str, confidences: list[float] | None = None) -> stt.SpeechEvent:
    words = None
    if confidences is not None:
        words = [TimedString(word, confidence=c) for word, c in zip(text.split(), confidences, strict=True)]
    return stt.SpeechEvent(
        type=stt.SpeechEventType.FINAL_TRANSCRIPT,
        alternatives=[stt.SpeechData(language="en", text=text, words=words)],
    )


END = stt.SpeechEvent(type=stt.SpeechEventType.END_OF_SPEECH)


async def _run(session: _Session, events: list[Any], *, between: Any = None) -> list[str]:
    async def source() -> AsyncIterator[Any]:
        for event in events:
            if event is END and between is not None:
                between()
            yield event

    out = []
    async for event in hold_backchannels(source(), session):  # type: ignore[arg-type]
        if event.type == stt.SpeechEventType.FINAL_TRANSCRIPT:
            out.append(event.alternatives[0].text)
        else:
            out.append(event.type.name)
    return out


async def test_an_acknowledgement_over_a_reply_never_reaches_livekit() -> None:
    session = _Session(_Speech())
    assert await _run(session, [_final("Uh-huh."), END]) == ["END_OF_SPEECH"]


async def test_words_after_an_acknowledgement_keep_it_in_front() -> None:
    session = _Session(_Speech())
    out = await _run(session, [_final("Okay."), _final("I need a plumber tomorrow."), END])
    assert out == ["Okay. I need a plumber tomorrow.", "END_OF_SPEECH"]


async def test_real_words_over_a_reply_pass_at_once() -> None:
    session = _Session(_Speech())
    assert await _run(session, [_final("Sorry, stop."), END]) == ["Sorry, stop.", "END_OF_SPEECH"]


async def test_with_no_reply_in_flight_a_yes_is_an_answer() -> None:
    assert await _run(_Session(None), [_final("Yeah."), END]) == ["Yeah.", "END_OF_SPEECH"]


async def test_a_yes_said_as_the_reply_ended_answers_it() -> None:
    session = _Session(_Speech())

    def reply_ends() -> None:
        session.current_speech.finished = True  # type: ignore[union-attr]

    out = await _run(session, [_final("Yes."), END], between=reply_ends)
    assert out == ["Yes.", "END_OF_SPEECH"]


async def test_an_uninterruptible_reply_filters_nothing() -> None:
    session = _Session(_Speech(allow_interruptions=False))
    assert await _run(session, [_final("Uh-huh."), END]) == ["Uh-huh.", "END_OF_SPEECH"]


async def test_a_sound_read_as_a_guessed_word_over_a_reply_is_held() -> None:
    session = _Session(_Speech())
    assert await _run(session, [_final("riot.", [0.21]), END]) == ["END_OF_SPEECH"]


async def test_a_guessed_word_before_real_words_is_kept_in_front() -> None:
    session = _Session(_Speech())
    out = await _run(session, [_final("riot.", [0.21]), _final("Stop please.", [0.9, 0.8]), END])
    assert out == ["riot. Stop please.", "END_OF_SPEECH"]


async def test_a_short_reading_with_one_sure_word_ends_the_reply() -> None:
    session = _Session(_Speech())
    out = await _run(session, [_final("No, stop.", [0.3, 0.92]), END])
    assert out == ["No, stop.", "END_OF_SPEECH"]


async def test_a_guessed_answer_with_no_reply_in_flight_passes() -> None:
    out = await _run(_Session(None), [_final("Yes.", [0.2]), END])
    assert out == ["Yes.", "END_OF_SPEECH"]
