"""How sure the STT was of the last words it heard: an invented last word is no evidence of a finished turn.

An STT can complete a phrase the caller has not finished: Whisper tiny hears "I need a plumber
for" as "I need a plumber for it.", and the words' verdict would answer at once. The ending it
invented has no speech under it, so the end-of-turn decision reads the words before it
(`agent/turns/end_of_turn.py`, `judge_doubting`).

Two doubts, kept apart. A word the STT *heard but may have misread* ("noon." read at 0.08-0.26
by Whisper tiny, a caller's name, a street) is still a word the caller said: the phrase the
words before it opened ("... have it at") was closed by it, whatever it was, so it is no reason
to wait. Only a word with *no speech under it* (`UNHEARD_WORD_CONFIDENCE`) leaves the words
before it as the caller's last. Treating every unsure word as unsaid judged finished sentences
ending in a time, a name or a place unfinished and answered them after the 1.6 s maximum
(issue 21: "I would rather have it at noon." answered after 2.5 s). The unsure-but-heard
reading still matters elsewhere: a reply is not stopped by a short final made only of such
words (`backchannel_filter.py`).

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
"""Below this the STT may have misread a word (docs/turn-taking.md has the measured distributions)."""
UNHEARD_WORD_CONFIDENCE = 0.05
"""Below this the word had no speech under it: the offline STT reports 0 for a word its
alignment puts on no sound (`agent/providers/offline/whisper_words.py`), while real words it
misread scored 0.08 or more. Deepgram's confidence is in the word's identity and it does not
invent words, so its words stay above this in practice."""


@dataclass(frozen=True)
class HeardFinal:
    text: str
    unsure_tail: int
    """Trailing words (whitespace-separated, punctuation attached) the STT was unsure of."""
    unheard_tail: int = 0
    """Trailing words with no speech under them: invented, not misread."""


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
    if data.words is not None and len(data.words) != len(text.split()):
        # the words do not line up with the text: no telling which ones are doubted
        return HeardFinal(text=text, unsure_tail=0, unheard_tail=0)
    return HeardFinal(
        text=text,
        unsure_tail=unsure_tail(data.words, min_confidence),
        unheard_tail=unsure_tail(data.words, UNHEARD_WORD_CONFIDENCE),
    )


class LastFinal:
    """The STT's latest final transcript and its unsure ending, for the turn detector to consult."""

    def __init__(self, min_confidence: float = MIN_WORD_CONFIDENCE) -> None:
        self._min_confidence = min_confidence
        self._last: HeardFinal | None = None

    def heard(self, data: stt.SpeechData) -> None:
        self._last = heard_final(data, self._min_confidence)

    def _ends(self, transcript: str) -> HeardFinal | None:
        last = self._last
        if last is None or not last.text or not transcript.rstrip().endswith(last.text):
            return None
        return last

    def unsure_words_at_end_of(self, transcript: str) -> int:
        """Unsure words at the end of `transcript` (the turn so far), if it ends with the latest final."""
        last = self._ends(transcript)
        return last.unsure_tail if last is not None else 0

    def unheard_words_at_end_of(self, transcript: str) -> int:
        """Words with no speech under them at the end of `transcript`, if it ends with the latest final."""
        last = self._ends(transcript)
        return last.unheard_tail if last is not None else 0

    def watch(self, events: AsyncIterable[stt.SpeechEvent | str]) -> AsyncIterator[stt.SpeechEvent | str]:
        """Passes the STT's events on, noting each final on the way."""
        return tap_finals(events, self.heard)
