"""The end-of-turn detector LiveKit consults: the caller's words decide, not the sound of them.

LiveKit calls `predict_end_of_turn` once the turn's final transcript is in, and waits `min_delay`
after the caller's speech when the probability clears `unlikely_threshold`, `max_delay` when it
does not. Finished words ("I need a plumber tomorrow.", "Yes." to a yes/no question) score 1;
unfinished ones ("... for", "um", three digits of a phone number) score 0. Words that say
neither score `UNDECIDED_PROBABILITY`: the short wait, LiveKit's own behaviour without a detector.

The STT's own doubt counts too: a last word with no speech under it (one the STT invented)
cannot finish a turn the words before it leave open; a word it heard but may have misread can
(`agent/turns/word_confidence.py`). The Agent's `stt_node` passes the STT's
finals through `heard.watch` so the detector knows which words those are.

Why not LiveKit's v1-mini audio model: it judged every complete synthesized sentence unfinished
(0.04-0.17 against its 0.36 threshold), so every turn waited the maximum (docs/turn-taking.md).
"""

from __future__ import annotations

from collections.abc import Callable

from livekit.agents import llm
from livekit.agents.language import LanguageCode

from agent.turns.end_of_turn import Verdict, judge_doubting
from agent.turns.word_confidence import MIN_WORD_CONFIDENCE, LastFinal

THRESHOLD = 0.5
PROBABILITY = {Verdict.FINISHED: 1.0, Verdict.UNFINISHED: 0.0, Verdict.UNDECIDED: 0.75}
"""UNDECIDED clears the threshold: with no evidence either way, answer after the short wait."""


def _last_text(chat_ctx: llm.ChatContext, role: str) -> str:
    for item in reversed(chat_ctx.items):
        if getattr(item, "role", None) == role and (text := getattr(item, "text_content", None)):
            return str(text)
    return ""


class WordsTurnDetector:
    """Implements LiveKit's turn-detector protocol (`livekit.agents.voice.turn._TurnDetector`)."""

    def __init__(
        self,
        *,
        on_verdict: Callable[[Verdict], None] | None = None,
        min_word_confidence: float = MIN_WORD_CONFIDENCE,
    ) -> None:
        self._on_verdict = on_verdict
        self.min_word_confidence = min_word_confidence
        self.heard = LastFinal(min_word_confidence)
        """The STT's latest final and the words it was unsure of; fed by the Agent's `stt_node`.
        `min_word_confidence` is what the backchannel filter reads as a misread word; the verdict
        doubts only unheard ones."""

    @property
    def model(self) -> str:
        return "words-end-of-turn"

    @property
    def provider(self) -> str:
        return "voice-agent"

    async def unlikely_threshold(self, language: LanguageCode | None) -> float | None:
        return THRESHOLD

    async def supports_language(self, language: LanguageCode | None) -> bool:
        # the word lists are English; other languages fall back to LiveKit's fixed delay
        return language is None or str(language).lower().startswith("en")

    async def predict_end_of_turn(self, chat_ctx: llm.ChatContext, *, timeout: float | None = None) -> float:
        transcript = _last_text(chat_ctx, "user")
        verdict = judge_doubting(
            transcript,
            unsure_words=self.heard.unheard_words_at_end_of(transcript),
            agent_last_said=_last_text(chat_ctx, "assistant"),
        )
        if self._on_verdict is not None:
            self._on_verdict(verdict)
        return PROBABILITY[verdict]
