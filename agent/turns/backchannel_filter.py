"""Keeps acknowledgements said over the agent ("uh-huh", a cough) from ending its reply.

LiveKit pauses the reply at the caller's first sound and resumes it when the caller goes quiet
without a final transcript; a final transcript, however short, ends the reply instead. So a final
that is only an acknowledgement, heard while a reply is in flight, is held back. If the caller goes
on ("okay, I need a plumber"), it is put back in front of what follows, so no word is lost. If the
utterance ends with it, it is dropped, unless the reply had already ended: then it answers that.

A short final the STT guessed every word of is held the same way. Whisper reads a cough or an
"mm-hmm" as a word ("riot.", "Okay, thank you."), which would end the reply like a real one; an STT
that reports word confidences (Deepgram, the offline Whisper) marks such a reading as unsure.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, AsyncIterator

from livekit.agents import AgentSession, stt
from livekit.agents.utils import is_given

from agent.turns.backchannel import is_backchannel
from agent.turns.word_confidence import MIN_WORD_CONFIDENCE
from agent.turns.words import BACKCHANNEL_MAX_TOKENS

logger = logging.getLogger(__name__)


def reply_in_flight(session: AgentSession) -> bool:
    """A reply is being played, or is paused by the caller's speech."""
    speech = session.current_speech
    return speech is not None and not speech.done() and speech.allow_interruptions


def guessed_throughout(event: stt.SpeechEvent, min_confidence: float) -> bool:
    """A final of a few words, every one below `min_confidence`: the STT heard a sound, not words."""
    words = event.alternatives[0].words if event.alternatives else None
    if not words or len(words) > BACKCHANNEL_MAX_TOKENS:
        return False
    confidences = [getattr(word, "confidence", None) for word in words]
    return all(is_given(c) and c is not None and c < min_confidence for c in confidences)


def _text(event: stt.SpeechEvent) -> str:
    return event.alternatives[0].text if event.alternatives else ""


def _with_text(event: stt.SpeechEvent, text: str) -> stt.SpeechEvent:
    first = event.alternatives[0]
    alternative = stt.SpeechData(
        language=first.language,
        text=text,
        start_time=first.start_time,
        end_time=first.end_time,
        confidence=first.confidence,
        speaker_id=first.speaker_id,
    )
    return stt.SpeechEvent(
        type=event.type, request_id=event.request_id, alternatives=[alternative, *event.alternatives[1:]]
    )


async def hold_backchannels(
    events: AsyncIterable[stt.SpeechEvent | str],
    session: AgentSession,
    *,
    min_word_confidence: float = MIN_WORD_CONFIDENCE,
) -> AsyncIterator[stt.SpeechEvent | str]:
    """`events`, with acknowledgements over a reply held back (see the module docstring)."""
    held: list[stt.SpeechEvent] = []
    async for event in events:
        if not isinstance(event, stt.SpeechEvent):
            yield event
            continue
        if event.type == stt.SpeechEventType.FINAL_TRANSCRIPT:
            held_text = " ".join(_text(e) for e in held)
            acknowledgement = is_backchannel(f"{held_text} {_text(event)}")
            if reply_in_flight(session) and (
                acknowledgement or guessed_throughout(event, min_word_confidence)
            ):
                held.append(event)
                logger.debug(
                    "holding a backchannel" if acknowledgement else "holding a guessed reading",
                    extra={"words": len(_text(event).split())},
                )
                continue
            if held:
                event = _with_text(event, f"{held_text} {_text(event)}".strip())
                held.clear()
        elif event.type == stt.SpeechEventType.END_OF_SPEECH and held:
            if not reply_in_flight(session):
                # the reply ended while the caller spoke: their "yes" answers it
                for kept in held:
                    yield kept
            held.clear()
        yield event
