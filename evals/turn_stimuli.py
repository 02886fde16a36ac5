"""What the turn-taking benchmark's caller says: complete turns, slow turns, interruptions,
backchannels and noises, all as 48 kHz int16 audio with their audible span known."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agent.audio import first_audible_sample
from agent.caller import AUDIBLE_DBFS, SAMPLE_RATE, synthesize_utterance


@dataclass(frozen=True)
class Stimulus:
    kind: str
    """"complete", "slow", "interruption", "backchannel" or "noise"."""
    label: str
    samples: np.ndarray
    expect_words: tuple[str, ...] = ()
    """For an interruption: words the agent must have heard (the request behind "stop")."""

    @property
    def audible_start_s(self) -> float:
        onset = first_audible_sample(self.samples, SAMPLE_RATE, threshold_dbfs=AUDIBLE_DBFS)
        return (onset or 0) / SAMPLE_RATE

    @property
    def audible_end_s(self) -> float:
        """End of the last audible sample: the synthesizer's trailing silence is not speech."""
        reversed_onset = first_audible_sample(
            self.samples[::-1].copy(), SAMPLE_RATE, threshold_dbfs=AUDIBLE_DBFS
        )
        return (self.samples.size - (reversed_onset or 0)) / SAMPLE_RATE


COMPLETE_TURNS = (
    "I need a plumber tomorrow morning.",
    "What are your opening hours?",
    "My kitchen sink is leaking.",
    "Can somebody come on Friday?",
    "I would like to book a heating repair.",
    "The heater in my basement stopped working.",
)
SLOW_TURNS: tuple[tuple[str | float, ...], ...] = (
    ("My phone number is three one two", 0.9, "four zero seven", 0.9, "two six eight one."),
    ("I need, um", 1.0, "a plumber tomorrow morning."),
    ("I need a plumber for", 1.0, "tomorrow morning."),
    ("I want to book a repair and", 0.9, "I have a question about my bill."),
    ("My zip code is six zero", 0.8, "six one four."),
    ("Can someone come on", 0.9, "Friday afternoon?"),
)
"""Pauses of 0.8-1.0 s: the hesitations people make mid-sentence and between groups of digits."""
INTERRUPTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Sorry, stop. I need a plumber tomorrow morning.", ("plumber", "tomorrow", "morning")),
    ("Wait, wait. I need an electrician on Friday.", ("electrician", "friday")),
    ("No, hold on. My kitchen sink is leaking.", ("kitchen", "sink", "leaking")),
    ("Stop please. I want to book a heating repair.", ("repair",)),
    ("Excuse me. The heater in my basement stopped working.", ("basement", "working")),
)
BACKCHANNELS = ("uh-huh", "yeah", "okay", "right", "mm-hmm", "I see", "got it", "sure")


def _cough(rng: np.random.Generator) -> np.ndarray:
    """A 0.3 s burst of shaped noise with a hard attack, as a cough into a handset sounds."""
    n = int(0.3 * SAMPLE_RATE)
    noise = rng.standard_normal(n)
    kernel = np.ones(12) / 12  # a crude low-pass: a cough's energy sits below ~2 kHz
    shaped = np.convolve(noise, kernel, mode="same")
    envelope = np.exp(-np.linspace(0, 6, n)) * np.minimum(1.0, np.linspace(0, 30, n))
    return _pad(shaped * envelope / np.max(np.abs(shaped)) * 0.5)


def _knock(rng: np.random.Generator) -> np.ndarray:
    """Three knocks 0.18 s apart: short decaying low thumps."""
    thump_n = int(0.04 * SAMPLE_RATE)
    t = np.arange(thump_n) / SAMPLE_RATE
    thump = np.sin(2 * np.pi * 180 * t) * np.exp(-t * 90) + 0.2 * rng.standard_normal(thump_n) * np.exp(
        -t * 200
    )
    out = np.zeros(int(0.4 * SAMPLE_RATE) + thump_n)
    for k in range(3):
        start = int(k * 0.18 * SAMPLE_RATE)
        out[start : start + thump_n] += thump
    return _pad(out / np.max(np.abs(out)) * 0.6)


def _pad(signal: np.ndarray) -> np.ndarray:
    silence = np.zeros(int(0.02 * SAMPLE_RATE))
    return (np.concatenate([silence, signal, silence]) * 32767).astype(np.int16)


def _speech(text: str) -> np.ndarray:
    return synthesize_utterance(text).samples


def slow_turn(parts: tuple[str | float, ...]) -> Stimulus:
    """Phrases with the given pauses between them, as one stretch of microphone audio."""
    pieces = []
    for part in parts:
        if isinstance(part, float):
            pieces.append(np.zeros(int(part * SAMPLE_RATE), np.int16))
        else:
            samples = _speech(part)
            start = first_audible_sample(samples, SAMPLE_RATE, threshold_dbfs=AUDIBLE_DBFS) or 0
            end = samples.size - (
                first_audible_sample(samples[::-1].copy(), SAMPLE_RATE, threshold_dbfs=AUDIBLE_DBFS) or 0
            )
            pieces.append(samples[start:end])  # the pause is the one we chose, not eSpeak's padding
    label = " ... ".join(p for p in parts if isinstance(p, str))
    return Stimulus("slow", label, np.concatenate(pieces))


def build_stimuli(seed: int = 7) -> dict[str, list[Stimulus]]:
    rng = np.random.default_rng(seed)
    return {
        "complete": [Stimulus("complete", text, _speech(text)) for text in COMPLETE_TURNS],
        "slow": [slow_turn(parts) for parts in SLOW_TURNS],
        "interruption": [
            Stimulus("interruption", text, _speech(text), words) for text, words in INTERRUPTIONS
        ],
        "backchannel": [Stimulus("backchannel", text, _speech(text)) for text in BACKCHANNELS],
        "noise": [Stimulus("noise", "cough", _cough(rng)), Stimulus("noise", "knock", _knock(rng))],
    }
