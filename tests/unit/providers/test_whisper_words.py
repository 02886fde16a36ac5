"""Whisper's confidence in each word: its probability, and 0 for a word with no sound under it."""

from __future__ import annotations

import numpy as np
import pytest

from agent.audio import first_audible_sample, resample
from agent.providers.offline.espeak import EspeakEngine
from agent.providers.offline.whisper_stt import WhisperSTT, load_whisper_model
from agent.providers.offline.whisper_words import MIN_HEARD_WORD_S, _confidence, audible_end_s
from agent.turns.end_of_turn import Verdict, judge_doubting
from agent.turns.word_confidence import MIN_WORD_CONFIDENCE, unsure_tail


@pytest.fixture(scope="module")
def whisper() -> WhisperSTT:
    return WhisperSTT(load_whisper_model())


def _spoken(text: str, rate: int = 48000) -> tuple[np.ndarray, int]:
    """eSpeak's audio with its trailing silence cut to 50 ms, as the stream's early decode hears it."""
    voice = EspeakEngine.shared()
    samples = voice.synthesize(text, words_per_minute=150)
    end = samples.size - (
        first_audible_sample(samples[::-1].copy(), voice.sample_rate, threshold_dbfs=-45) or 0
    )
    return resample(samples[: end + voice.sample_rate // 20], voice.sample_rate, rate), rate


def test_the_sound_ends_at_the_last_loud_10_ms() -> None:
    tone = np.sin(np.arange(8000) / 16000 * 2 * np.pi * 200).astype(np.float32) * 0.3
    audio = np.concatenate([tone, np.zeros(4800, np.float32)])
    assert audible_end_s(audio) == pytest.approx(0.5, abs=0.011)


def test_a_word_with_no_sound_under_it_gets_no_confidence() -> None:
    assert _confidence(1.12, 1.13, [0.8]) == 0.0  # starts where the sound ends
    assert _confidence(1.0, 1.0 + MIN_HEARD_WORD_S, [0.8]) == pytest.approx(0.8)
    assert _confidence(1.0, 1.5, []) == 0.0


def test_a_finished_sentence_is_read_with_confident_words(whisper: WhisperSTT) -> None:
    decoded = whisper.transcribe_words(*_spoken("I need a plumber tomorrow morning."))
    assert decoded is not None
    assert [word.text for word in decoded.words] == decoded.text.split()
    assert decoded.words[-1].confidence >= MIN_WORD_CONFIDENCE


@pytest.mark.parametrize("rate", [48000, 8000])
def test_a_phrase_left_open_stays_open_whatever_ending_whisper_invents(
    whisper: WhisperSTT, rate: int
) -> None:
    decoded = whisper.transcribe_words(*_spoken("I need a plumber for", rate))
    assert decoded is not None
    unsure = unsure_tail(list(decoded.words), MIN_WORD_CONFIDENCE)  # type: ignore[arg-type]
    assert judge_doubting(decoded.text, unsure_words=unsure) is Verdict.UNFINISHED, decoded
