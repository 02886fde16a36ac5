"""How sure the STT was of the last words it heard: a guessed last word is no evidence of a finished turn.

An STT can complete a phrase the caller has not finished: Whisper tiny hears "I need a plumber
for" as "I need a plumber for it.", and the words' verdict would answer at once. The ending it
invented is also the word it is least sure of, so the end-of-turn decision reads the words
before it (`agent/turns/end_of_turn.py`, `judge_doubting`).

One policy for every provider: the per-word confidence LiveKit carries on `SpeechData.words`
(`TimedString.confidence`), which the Deepgram plugin fills from Deepgram's word confidences and
the offline STT from Whisper's token probabilities. An STT that reports no word confidence is
taken at its word.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

from livekit.agents import stt
from livekit.agents.types import TimedString
from livekit.agents.utils import is_given

from agent.turns.stt_finals import tap_finals

MIN_WORD_CONFIDENCE = 0.5
"""Below this a trailing word is a guess (docs/turn-taking.md has the measured distributions)."""


@dataclass(frozen=True)
class HeardFinal:
    text: str
    unsure_tail: int
    """Trailing words (whitespace-separated, punctuation attached) the STT was unsure of."""


def unsure_tail(words: list[TimedString] | None, min_confidence: float) -> int:
    """How many of the last `words` are below `min_confidence`; words with no confidence count as sure."""
    count = 0
    for word in reversed(words or []):
        confidence = getattr(word, "confidence", None)
        if not is_given(confidence) or confidence is None or confidence >= min_confidence:
            break
        count += 1
    return count


def heard_final(data: stt.SpeechData, min_confidence: float = MIN_WORD_CONFIDENCE) -> HeardFinal:
    text = data.text.strip()
    tail = unsure_tail(data.words, min_confidence)
    if data.words is not None and len(data.words) != len(text.split()):
        tail = 0  # the words do not line up with the text: no telling which ones are doubted
    return HeardFinal(text=text, unsure_tail=tail)


class LastFinal:
    """The STT's latest final transcript and its unsure ending, for the turn detector to consult."""

    def __init__(self, min_confidence: float = MIN_WORD_CONFIDENCE) -> None:
        self._min_confidence = min_confidence
        self._last: HeardFinal | None = None

    def heard(self, data: stt.SpeechData) -> None:
        self._last = heard_final(data, self._min_confidence)

    def unsure_words_at_end_of(self, transcript: str) -> int:
        """Unsure words at the end of `transcript` (the turn so far), if it ends with the latest final."""
        last = self._last
        if last is None or not last.text or not transcript.rstrip().endswith(last.text):
            return 0
        return last.unsure_tail

    def watch(self, events: AsyncIterable[stt.SpeechEvent | str]) -> AsyncIterator[stt.SpeechEvent | str]:
        """Passes the STT's events on, noting each final on the way."""
        return tap_finals(events, self.heard)
