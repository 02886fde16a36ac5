"""Each end-of-turn signal on its own, over complete and unfinished phrases: LiveKit's v1-mini
audio model, our words' verdict on what the offline STT heard, and that verdict doubting the last
words Whisper was unsure of (its per-word confidence). `python -m evals.eot_signals`."""

from __future__ import annotations

import json

import numpy as np

from agent.audio import first_audible_sample, resample
from agent.caller import AUDIBLE_DBFS, SAMPLE_RATE, synthesize_utterance
from agent.turns.end_of_turn import judge, judge_doubting
from agent.turns.word_confidence import UNHEARD_WORD_CONFIDENCE, unsure_tail

MODEL_RATE = 16_000
TRAILING_SILENCE_S = 0.2
"""LiveKit asks the model after 200 ms of silence (MIN_SILENCE_DURATION_MS)."""
COMPLETE = (
    "I need a plumber tomorrow morning.",
    "What are your opening hours?",
    "My kitchen sink is leaking.",
    "Can somebody come on Friday?",
    "My zip code is six zero six one four.",
    "Yes.",
)
UNFINISHED = (
    "I need a plumber for",
    "I want to book a repair and",
    "My phone number is three one two",
    "I need, um",
    "Can someone come on",
    "Sorry, stop.",
    "I need someone to look at the",
    "My name is John and",
    "Could you book me for",
)


def _speech_16k(text: str) -> np.ndarray:
    samples = synthesize_utterance(text).samples
    end = samples.size - (
        first_audible_sample(samples[::-1].copy(), SAMPLE_RATE, threshold_dbfs=AUDIBLE_DBFS) or 0
    )
    speech = resample(samples[:end], SAMPLE_RATE, MODEL_RATE)
    return np.concatenate([speech, np.zeros(int(TRAILING_SILENCE_S * MODEL_RATE), np.int16)])


def measure() -> list[dict[str, object]]:
    from livekit.local_inference import EOT, EOT_MAX_SAMPLES

    from agent.providers.offline.whisper_stt import WhisperSTT, load_whisper_model

    model, whisper = EOT(), WhisperSTT(load_whisper_model())
    rows = []
    for expected, phrases in (("finished", COMPLETE), ("unfinished", UNFINISHED)):
        for text in phrases:
            pcm = _speech_16k(text)
            decoded = whisper.transcribe_words(pcm, MODEL_RATE)
            heard = decoded.text if decoded is not None else ""
            words = list(decoded.words) if decoded is not None else []
            # the verdict doubts only words with no speech under them (agent/turns/word_confidence.py)
            unsure = unsure_tail(words, UNHEARD_WORD_CONFIDENCE)  # type: ignore[arg-type]
            rows.append(
                {
                    "said": text,
                    "expected": expected,
                    "v1_mini": round(float(model.predict(pcm[-EOT_MAX_SAMPLES:])), 3),
                    "stt_heard": heard,
                    "words_verdict": judge(heard).value,
                    "word_confidence": {word.text: round(word.confidence, 2) for word in words},
                    "words_verdict_doubting": judge_doubting(heard, unsure_words=unsure).value,
                    "words_verdict_on_what_was_said": judge(text).value,
                }
            )
    return rows


def right(rows: list[dict[str, object]], column: str) -> str:
    """How many phrases a verdict gets right: answered after the short wait (finished or undecided)
    when finished, kept waiting when not."""
    hits = sum((row[column] != "unfinished") == (row["expected"] == "finished") for row in rows)
    return f"{hits} of {len(rows)}"


if __name__ == "__main__":
    rows = measure()
    print(json.dumps(rows, indent=1))
    for column in ("words_verdict_on_what_was_said", "words_verdict", "words_verdict_doubting"):
        print(f"{column}: right on {right(rows, column)}")
