"""`voice-agent bench tts PATH`: time to first audio and real-time factor of the offline voice.

Each text goes through LiveKit's `tts.StreamAdapter`, the path the session uses: text is
pushed as it would stream from the LLM, and the clock runs from the first pushed text to
the first audio frame out.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from livekit.agents import tts
from livekit.agents.tokenize import basic

from agent.providers.offline.espeak_tts import EspeakTTS
from evals.bench_common import BenchInputError, summary_ms

DEFAULT_TEXTS = [
    "Thanks for calling Northside Home Services. How can I help you today?",
    "I can send a plumber tomorrow at nine in the morning. Shall I go ahead?",
    "You're booked for Wednesday at eleven. The technician will call when they're on the way.",
    "Leave the house now, don't touch any switches, and call the gas company from outside.",
    "Sorry, I didn't catch that. I can book a visit, check on a job, or take a message.",
]


def load_texts(path: Path | None) -> list[str]:
    if path is None:
        return DEFAULT_TEXTS
    files = sorted(path.glob("*.txt")) if path.is_dir() else [path]
    if not files or not all(f.is_file() for f in files):
        raise BenchInputError(f"no text files at {path}")
    texts = [line.strip() for f in files for line in f.read_text().splitlines() if line.strip()]
    if not texts:
        raise BenchInputError(f"{path} has no text")
    return texts


async def _first_audio(engine: tts.TTS, text: str) -> tuple[float, float, float]:
    """(first audio seconds, total synthesis seconds, audio seconds) for one text."""
    stream = tts.StreamAdapter(tts=engine, sentence_tokenizer=basic.SentenceTokenizer()).stream()
    started = time.perf_counter()
    for word in text.split(" "):
        stream.push_text(word + " ")
    stream.end_input()
    first = None
    audio_s = 0.0
    async for audio in stream:
        first = first or time.perf_counter() - started
        audio_s += audio.frame.samples_per_channel / audio.frame.sample_rate
    total = time.perf_counter() - started
    await stream.aclose()
    return first or total, total, audio_s


def run(path: Path | None, *, progress: Callable[[str], None]) -> dict[str, object]:
    texts = load_texts(path)
    engine = EspeakTTS()

    async def _all() -> list[tuple[float, float, float]]:
        await _first_audio(engine, "warm up")
        results = []
        for index, text in enumerate(texts):
            results.append(await _first_audio(engine, text))
            progress(f"bench tts: {index + 1}/{len(texts)}")
        return results

    results = asyncio.run(_all())
    return {
        "benchmark": "tts",
        "engine": engine.model,
        "texts": len(texts),
        "first_audio": summary_ms([first * 1000 for first, _, _ in results]),
        "real_time_factor": round(sum(total for _, total, _ in results) / sum(a for _, _, a in results), 4),
    }
