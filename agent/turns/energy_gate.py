"""A fast onset/offset detector on the caller's audio: frame energy against an adaptive noise floor.

Silero needs two 32 ms windows and its queue before it says "speech" (~160 ms after the onset on
this machine, more under load), and ~0.2 s of decay before it says "quiet". Energy in 10 ms frames
answers both within a couple of frames. It cannot tell words from a cough: it only decides when
the agent's reply is *held*; Silero and the words still decide whether the reply *ends*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FRAME_S = 0.01
FLOOR_RISE_DB_PER_S = 2.0
"""How fast the floor climbs back up in a louder room. Slow, so a long word is never taken for noise;
it falls at once to any quieter frame."""
SILENCE_DBFS = -100.0


@dataclass(frozen=True)
class GateSettings:
    onset_db: float = 12.0
    """How far above the noise floor a frame must be. Voice on a handset sits 20-40 dB above the
    line's hiss; 12 dB leaves room for a soft "mm" and for hiss that wanders."""
    min_sound_s: float = 0.02
    """Sound above the threshold that opens the gate: a click or a line pop is shorter, a voiced
    onset is not. Every 10 ms here is 10 ms more cutoff."""
    min_dbfs: float = -50.0
    """Never opens below this, whatever the floor: a digitally silent line has no floor to speak of."""
    hangover_s: float = 0.1
    """Quiet that closes the gate. Bridges the 50-100 ms closures of stop consonants and the gaps
    between the words of "got it", so one acknowledgement holds the reply once, not in stutters."""


def frame_dbfs(samples: np.ndarray) -> float:
    """The RMS level of int16 samples, in dB below full scale."""
    if samples.size == 0:
        return SILENCE_DBFS
    rms = float(np.sqrt(np.mean(np.square(samples.astype(np.float64) / 32768.0))))
    return max(SILENCE_DBFS, 20.0 * np.log10(rms)) if rms > 0 else SILENCE_DBFS


class EnergyGate:
    """Fed the caller's audio; says when they start and stop making sound."""

    def __init__(self, settings: GateSettings | None = None) -> None:
        self._settings = settings or GateSettings()
        self._floor_db: float | None = None
        self._pending = np.zeros(0, np.int16)
        self._loud_frames = 0
        self._quiet_frames = 0
        self.open = False

    @property
    def noise_floor_dbfs(self) -> float:
        return SILENCE_DBFS if self._floor_db is None else self._floor_db

    def threshold_dbfs(self) -> float:
        return max(self.noise_floor_dbfs + self._settings.onset_db, self._settings.min_dbfs)

    def push(self, samples: np.ndarray, sample_rate: int) -> list[bool]:
        """Mono int16 samples in; each change of `open`, in order (usually none)."""
        frame_n = max(1, int(sample_rate * FRAME_S))
        self._pending = np.concatenate([self._pending, samples.astype(np.int16, copy=False)])
        usable = self._pending.size // frame_n * frame_n
        if usable == 0:
            return []
        # every 10 ms frame's level in one numpy pass: this runs on every frame of every call
        frames = self._pending[:usable].reshape(-1, frame_n).astype(np.float64) / 32768.0
        self._pending = self._pending[usable:]
        rms = np.sqrt(np.mean(np.square(frames), axis=1))
        levels = np.full(rms.shape, SILENCE_DBFS)
        sounding = rms > 0
        levels[sounding] = np.maximum(SILENCE_DBFS, 20.0 * np.log10(rms[sounding]))
        return [self.open for level in levels.tolist() if self._step(level)]

    def _step(self, level_db: float) -> bool:
        loud = level_db >= self.threshold_dbfs()
        if not self.open:
            # the floor learns only while nobody speaks: a caller's voice must not become the floor
            self._track_floor(level_db)
            self._loud_frames = self._loud_frames + 1 if loud else 0
            if self._loud_frames * FRAME_S >= self._settings.min_sound_s - 1e-9:
                self.open, self._quiet_frames = True, 0
                return True
            return False
        self._quiet_frames = 0 if loud else self._quiet_frames + 1
        if self._quiet_frames * FRAME_S >= self._settings.hangover_s - 1e-9:
            self.open, self._loud_frames = False, 0
            return True
        return False

    def _track_floor(self, level_db: float) -> None:
        if self._floor_db is None or level_db < self._floor_db:
            self._floor_db = level_db
        else:
            self._floor_db = min(level_db, self._floor_db + FLOOR_RISE_DB_PER_S * FRAME_S)
