"""The energy gate opens within 20 ms of a sound, ignores clicks and steady hiss, bridges the gaps
inside a word, and closes a hangover after the sound ends."""

from __future__ import annotations

import numpy as np

from agent.turns.energy_gate import FRAME_S, EnergyGate, GateSettings, frame_dbfs

RATE = 16000
FRAME = int(RATE * FRAME_S)


def _tone(seconds: float, dbfs: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    amplitude = 10 ** (dbfs / 20) * np.sqrt(2) * 32767
    return (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.int16)


def _hiss(seconds: float, dbfs: float, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(int(seconds * RATE)) * 10 ** (dbfs / 20) * 32767).astype(np.int16)


def _changes_at(gate: EnergyGate, samples: np.ndarray) -> list[tuple[float, bool]]:
    """Each change of the gate, with the time (s) at the end of the frame that caused it."""
    out: list[tuple[float, bool]] = []
    for start in range(0, samples.size, FRAME):
        for change in gate.push(samples[start : start + FRAME], RATE):
            out.append((round((start + FRAME) / RATE, 3), change))
    return out


def test_frame_level() -> None:
    assert abs(frame_dbfs(_tone(0.1, -20)) + 20) < 0.2
    assert frame_dbfs(np.zeros(160, np.int16)) == -100.0


def test_opens_20_ms_into_a_sound_and_closes_a_hangover_after_it() -> None:
    gate = EnergyGate(GateSettings(hangover_s=0.1))
    audio = np.concatenate(
        [np.zeros(int(0.5 * RATE), np.int16), _tone(0.4, -25), np.zeros(RATE // 2, np.int16)]
    )
    assert _changes_at(gate, audio) == [(0.52, True), (1.0, False)]


def test_a_click_does_not_open_it() -> None:
    gate = EnergyGate()
    audio = np.concatenate([np.zeros(RATE // 2, np.int16), _tone(0.008, -10), np.zeros(RATE // 2, np.int16)])
    assert _changes_at(gate, audio) == []


def test_a_gap_inside_a_word_is_bridged() -> None:
    gate = EnergyGate(GateSettings(hangover_s=0.1))
    silence = np.zeros(int(0.06 * RATE), np.int16)  # a stop consonant's closure
    audio = np.concatenate(
        [_hiss(0.3, -70), _tone(0.2, -25), silence, _tone(0.2, -25), np.zeros(RATE // 2, np.int16)]
    )
    assert [open_ for _, open_ in _changes_at(gate, audio)] == [True, False]


def test_steady_hiss_becomes_the_floor_and_speech_above_it_opens() -> None:
    gate = EnergyGate(GateSettings(onset_db=12.0, min_dbfs=-60.0))
    assert _changes_at(gate, _hiss(2.0, -45)) == []  # a noisy line: loud, but steady
    assert abs(gate.noise_floor_dbfs + 45) < 3
    assert [
        c for _, c in _changes_at(gate, _tone(0.3, -45) + _hiss(0.3, -45, seed=2))
    ] == []  # 3 dB up: still noise
    assert [c for _, c in _changes_at(gate, _tone(0.3, -25))] == [True]


def test_speech_is_never_learnt_as_the_floor() -> None:
    gate = EnergyGate()
    _changes_at(gate, np.concatenate([_hiss(0.5, -70), _tone(3.0, -25)]))
    assert gate.open
    assert gate.noise_floor_dbfs < -60


def test_a_quiet_line_never_opens_below_the_minimum() -> None:
    gate = EnergyGate(GateSettings(min_dbfs=-50.0))
    audio = np.concatenate([np.zeros(RATE // 2, np.int16), _tone(0.5, -60)])
    assert _changes_at(gate, audio) == []
