"""`voice-agent bench stt DIR`: WER, first-partial and final latencies, real-time factor.

Clips are streamed in real time, 10 ms a frame, as a call would deliver them; latencies are
wall-clock times from when the clip's speech onset (or end) was pushed to the event.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from pathlib import Path

import jiwer
import numpy as np
from livekit import rtc
from livekit.agents import stt
from livekit.plugins import silero

from agent.audio import read_wav
from agent.providers.offline.streaming_stt import OfflineStreamingSTT
from agent.providers.offline.whisper_stt import WhisperSTT, load_whisper_model
from evals.bench_common import Clip, find_clips, summary_ms

_DIGITS = dict(
    zip(
        "0123456789",
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
        strict=True,
    )
)


def normalise(text: str) -> str:
    text = re.sub(r"\d", lambda m: f" {_DIGITS[m.group(0)]} ", text.lower())
    text = re.sub(r"[^a-z' ]+", " ", text)
    return " ".join(text.split())


async def _run_clip(engine: stt.STT, clip: Clip) -> dict[str, object]:
    audio = read_wav(clip.wav, target_rate=read_wav_rate(clip.wav))
    rate = audio.sample_rate
    step = rate // 100
    samples = np.concatenate([audio.samples, np.zeros((-audio.samples.size) % step, np.int16)])
    stream = engine.stream()
    interims: list[float] = []
    finals: list[tuple[float, str]] = []

    async def _listen() -> None:
        async for event in stream:
            now = time.perf_counter()
            if event.type == stt.SpeechEventType.INTERIM_TRANSCRIPT and event.alternatives:
                interims.append(now)
            elif event.type == stt.SpeechEventType.FINAL_TRANSCRIPT and event.alternatives:
                finals.append((now, event.alternatives[0].text))

    listener = asyncio.create_task(_listen())
    started = time.perf_counter()
    for index, chunk in enumerate(samples.reshape(-1, step)):
        stream.push_frame(rtc.AudioFrame(chunk.tobytes(), rate, 1, step))
        await asyncio.sleep(max(0.0, started + (index + 1) * 0.01 - time.perf_counter()))
    await asyncio.sleep(0.8)  # let the last final arrive
    stream.end_input()
    await listener
    onset_at = started + (clip.speech_start_s or 0.0)
    end_at = started + (clip.speech_end_s or audio.duration_s)
    # an interim before the speech began was heard in the noise: reported, never a latency
    first_interim_at = next((at for at in interims if at >= onset_at), None)
    hypothesis = " ".join(text for _, text in finals)
    return {
        "clip": clip.name,
        "condition": clip.condition or f"{rate // 1000}k",
        "reference": clip.text,
        "hypothesis": hypothesis,
        "first_partial_ms": round((first_interim_at - onset_at) * 1000, 1) if first_interim_at else None,
        "final_ms": round((finals[-1][0] - end_at) * 1000, 1) if finals else None,
        "interims_before_onset": sum(1 for at in interims if at < onset_at),
    }


def _wer_by_condition(results: list[dict[str, object]]) -> dict[str, float]:
    """WER of each recording condition: an overall figure hides a weak band (8 kHz telephone)."""
    by_condition: dict[str, tuple[list[str], list[str]]] = {}
    for result in results:
        references, hypotheses = by_condition.setdefault(str(result["condition"]), ([], []))
        references.append(normalise(str(result["reference"])))
        hypotheses.append(normalise(str(result["hypothesis"])))
    return {name: round(jiwer.wer(*pair), 4) for name, pair in sorted(by_condition.items())}


def read_wav_rate(path: Path) -> int:
    import wave

    with wave.open(str(path), "rb") as wav:
        return wav.getframerate()


def run(directory: Path, *, progress: Callable[[str], None]) -> dict[str, object]:
    clips = find_clips(directory)
    whisper = WhisperSTT(load_whisper_model())
    engine = OfflineStreamingSTT(whisper=whisper, vad_model=silero.VAD.load(min_silence_duration=0.3))
    results = []
    decode_seconds = 0.0
    audio_seconds = 0.0
    for index, clip in enumerate(clips):
        results.append(asyncio.run(_run_clip(engine, clip)))
        progress(f"bench stt: {index + 1}/{len(clips)} {clip.name}")
    for clip in clips:  # real-time factor of the final pass, decoded back to back
        audio = read_wav(clip.wav, target_rate=16000)
        started = time.perf_counter()
        whisper.transcribe(audio.samples, 16000)
        decode_seconds += time.perf_counter() - started
        audio_seconds += audio.duration_s
    references = [normalise(str(r["reference"])) for r in results]
    hypotheses = [normalise(str(r["hypothesis"])) for r in results]
    partials = [float(r["first_partial_ms"]) for r in results if r["first_partial_ms"] is not None]
    finals = [float(r["final_ms"]) for r in results if r["final_ms"] is not None]
    return {
        "benchmark": "stt",
        "engine": engine.model,
        "clips": len(clips),
        "wer": round(jiwer.wer(references, hypotheses), 4),
        "wer_by_condition": _wer_by_condition(results),
        "first_partial_after_onset": summary_ms(partials)
        | {
            "missing": len(results) - len(partials),
            "clips_with_interims_before_onset": sum(1 for r in results if r["interims_before_onset"]),
        },
        "final_after_end_of_speech": summary_ms(finals) | {"missing": len(results) - len(finals)},
        "real_time_factor": round(decode_seconds / audio_seconds, 3),
        "per_clip": results,
    }
