"""Generates the speech test set: eSpeak voices and speeds, 16 kHz and 8 kHz telephone band, clean and noisy.

Each clip is NAME.wav (speech between known silences), NAME.txt (the words) and NAME.json
(where speech starts and ends, in seconds, and the
clip's band and noise condition), so benchmarks can time latencies from the audio.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from agent.audio import MonoAudio, first_audible_sample, resample, write_wav
from agent.providers.offline.espeak import EspeakEngine

SENTENCES = [
    "My kitchen sink is leaking.",
    "I need a plumber tomorrow morning.",
    "The furnace stopped working last night.",
    "Can someone come out on Tuesday afternoon?",
    "I would like to cancel my appointment.",
    "What is the status of my repair?",
    "The breaker in the garage keeps tripping.",
    "Please call me back this evening.",
    "Our water heater is making a loud noise.",
    "I want to reschedule my visit to Friday.",
    "The air conditioner is blowing warm air.",
    "Let me talk to a real person please.",
]
VOICES = ["en-us", "en-gb-x-rp", "en-us+f3", "en+m3"]
WORDS_PER_MINUTE = [140, 175, 210]
LEAD_SILENCE_S = 0.6
TAIL_SILENCE_S = 1.2
NOISE_SNR_DB = 15.0


def telephone_band(samples: np.ndarray, rate: int) -> MonoAudio:
    """8 kHz, 300-3400 Hz: what a PSTN call through a SIP trunk sounds like."""
    narrow = resample(samples, rate, 8000).astype(np.float64)
    spectrum = np.fft.rfft(narrow)
    freqs = np.fft.rfftfreq(narrow.size, 1 / 8000)
    spectrum[(freqs < 300) | (freqs > 3400)] = 0
    return MonoAudio(np.clip(np.fft.irfft(spectrum, narrow.size), -32768, 32767).astype(np.int16), 8000)


def add_noise(samples: np.ndarray, rng: np.random.Generator, snr_db: float) -> np.ndarray:
    """Add pink-ish noise (white noise through a first-order low-pass) at `snr_db` below the speech."""
    speech = samples.astype(np.float64)
    white = rng.standard_normal(speech.size)
    pink = np.empty_like(white)
    accumulator = 0.0
    for index, value in enumerate(white):
        accumulator = 0.97 * accumulator + value
        pink[index] = accumulator
    voiced = speech[np.abs(speech) > 200]
    speech_power = float(np.mean(voiced**2)) if voiced.size else float(np.mean(speech**2))
    pink *= np.sqrt(speech_power / (10 ** (snr_db / 10)) / float(np.mean(pink**2)))
    return np.clip(speech + pink, -32768, 32767).astype(np.int16)


def generate(out_dir: Path, *, limit: int | None = None, progress: Callable[[str], None] = print) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    engine = EspeakEngine.shared()
    rng = np.random.default_rng(20261124)
    variants = list(itertools.product(VOICES, WORDS_PER_MINUTE, ("16k", "8k"), ("clean", "noisy")))
    # rotate sentences across voices so every sentence meets every band and noise condition
    per_voice = len(variants) // len(VOICES)
    combos = [
        (SENTENCES[(index + 5 * (index // per_voice)) % len(SENTENCES)], variant)
        for index, variant in enumerate(variants)
    ]
    rng.shuffle(combos)
    combos = combos[:limit] if limit else combos
    for index, (sentence, (voice, wpm, band, noise)) in enumerate(combos):
        speech = engine.synthesize(sentence, voice=voice, words_per_minute=wpm)
        audio = (
            telephone_band(speech, engine.sample_rate)
            if band == "8k"
            else MonoAudio(resample(speech, engine.sample_rate, 16000), 16000)
        )
        rate = audio.sample_rate
        onset = first_audible_sample(audio.samples, rate, threshold_dbfs=-40) or 0
        last = audio.samples.size - (first_audible_sample(audio.samples[::-1], rate, threshold_dbfs=-40) or 0)
        clip = np.concatenate(
            [
                np.zeros(int(LEAD_SILENCE_S * rate), np.int16),
                audio.samples,
                np.zeros(int(TAIL_SILENCE_S * rate), np.int16),
            ]
        )
        if noise == "noisy":
            clip = add_noise(clip, rng, NOISE_SNR_DB)
        name = f"clip{index:03d}-{voice.replace('+', '_')}-{wpm}wpm-{band}-{noise}"
        write_wav(out_dir / f"{name}.wav", MonoAudio(clip, rate))
        (out_dir / f"{name}.txt").write_text(sentence + "\n")
        timing = {
            "speech_start_s": LEAD_SILENCE_S + onset / rate,
            "speech_end_s": LEAD_SILENCE_S + last / rate,
            "condition": f"{band}-{noise}",
        }
        (out_dir / f"{name}.json").write_text(json.dumps(timing) + "\n")
        progress(f"testset: {index + 1}/{len(combos)} {name}")
    return len(combos)
