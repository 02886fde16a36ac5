"""Utterance onset and end by audio energy on 20 ms frames: the STT double's only "recognition"."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FRAME_MS = 20
ONSET_DBFS = -40.0
"""The same level the STT watchdog counts as speech, so the double reacts to what it watches."""
ONSET_FRAMES = 2
"""Loud frames in a row that make an onset: a single click is not speech."""


@dataclass(frozen=True)
class EnergyEvent:
    kind: str  # "onset" or "end"
    audio_s: float
    """Where in the stream's audio it happened (seconds since the stream's first sample)."""


class EnergyDetector:
    """Feed it int16 PCM as it arrives; it reports onsets, and ends after `end_silence_ms` of quiet."""

    def __init__(self, sample_rate: int, *, end_silence_ms: float, channels: int = 1) -> None:
        self.sample_rate = sample_rate
        self.channels = max(1, channels)
        self._frame = sample_rate * FRAME_MS // 1000
        self._quiet_frames_to_end = max(1, round(end_silence_ms / FRAME_MS))
        self._pending = np.zeros(0, dtype=np.int16)
        self._frames_seen = 0
        self._loud_run = 0
        self._quiet_run = 0
        self.in_speech = False
        self.last_loud_s = 0.0

    def end_speech(self) -> None:
        """End the current utterance now, without an "end" event: the next loud frames are an onset."""
        self.in_speech = False
        self._loud_run = 0
        self._quiet_run = 0

    def push(self, pcm: bytes) -> list[EnergyEvent]:
        samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype=np.int16)
        if self.channels > 1:
            samples = samples[: samples.size - samples.size % self.channels].reshape(-1, self.channels)[:, 0]
        self._pending = np.concatenate([self._pending, samples])
        events: list[EnergyEvent] = []
        usable = self._pending.size - self._pending.size % self._frame
        if usable == 0:
            return events
        frames = self._pending[:usable].reshape(-1, self._frame).astype(np.float64)
        self._pending = self._pending[usable:]
        rms = np.sqrt(np.mean(np.square(frames), axis=1))
        levels = 20.0 * np.log10(np.maximum(rms, 1e-6) / 32768.0)
        for level in levels:
            self._frames_seen += 1
            now_s = self._frames_seen * FRAME_MS / 1000
            if level >= ONSET_DBFS:
                self._loud_run += 1
                self._quiet_run = 0
                self.last_loud_s = now_s
                if not self.in_speech and self._loud_run >= ONSET_FRAMES:
                    self.in_speech = True
                    events.append(EnergyEvent("onset", now_s - ONSET_FRAMES * FRAME_MS / 1000))
            else:
                self._loud_run = 0
                self._quiet_run += 1
                if self.in_speech and self._quiet_run >= self._quiet_frames_to_end:
                    self.in_speech = False
                    events.append(EnergyEvent("end", self.last_loud_s))
        return events
