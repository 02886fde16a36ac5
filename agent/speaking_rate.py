"""LiveKit's speaking-rate estimate for the transcript synchronizer, in one batched FFT.

livekit-agents' transcript synchronizer paces the caption words to the agent's audio, and so tells
which words of an interrupted reply the caller heard. It estimates the agent's speaking rate with
`SpeakingRateStream._spectral_flux` over a 1 s window every 0.1 s of agent audio, on the call's
event loop, one FFT per 12.5 ms frame in a Python loop: 1.4-2.6 ms a window here (16-48 kHz). A
greeting's audio arrives faster than it plays, so its windows run back to back, and the loop-stall
watch logged 117-121 ms in `_speaking_rate.py` at the start of every call (2026-12-03, `make dev`).

The same sums over all frames at once give identical floats (tests/unit/test_speaking_rate.py
compares them with LiveKit's own method) in 0.2-0.6 ms a window. LiveKit builds the synchronizer
inside RoomIO with no way to pass a detector, so the method is replaced on the class, once per
process; the test pins the method it replaces.
"""

from __future__ import annotations

import numpy as np
from livekit.agents.voice.transcription._speaking_rate import SpeakingRateStream

FRAME_S = 0.025
"""LiveKit's frame: 25 ms, half overlapped."""

LIVEKIT_SPECTRAL_FLUX = SpeakingRateStream._spectral_flux
"""LiveKit's own method, kept for the test that compares the two."""


def spectral_flux(audio: np.ndarray, sample_rate: int) -> float:
    """The mean L1 change of the scaled magnitude spectrum between consecutive frames."""
    frame_length = int(sample_rate * FRAME_S)
    hop_length = frame_length // 2
    frame_count = (len(audio) - frame_length) // hop_length + 1 if hop_length else 0
    if frame_count < 2:  # no pair of frames to compare: LiveKit's loop returns 0.0 too
        return 0.0
    frames = np.lib.stride_tricks.sliding_window_view(audio, frame_length)[::hop_length][:frame_count]
    window = np.hanning(frame_length)
    scale = 1.0 / np.sqrt(np.sum(window**2))
    magnitudes = np.abs(np.fft.rfft(frames * window, axis=1) * scale)
    return float(np.mean(np.sum(np.abs(np.diff(magnitudes, axis=0)), axis=1)))


def use_batched_speaking_rate() -> None:
    """Once per job process (prewarm), before any call builds its synchronizer."""
    SpeakingRateStream._spectral_flux = staticmethod(spectral_flux)  # type: ignore[method-assign,assignment]
