"""Received audio: when each sample was heard, the first audible one after an instant, and clips."""

import numpy as np

from evals.latency.received_audio import RECORD_RATE, ReceivedAudio

FRAME = RECORD_RATE // 100  # 10 ms


def _tone(level: int = 8000) -> np.ndarray:
    return (level * np.sin(np.arange(FRAME) * 0.3)).astype(np.int16)


def _audio(pattern: str) -> ReceivedAudio:
    """One 10 ms frame per character, "." quiet and "#" loud; frame i arrives at 1.0 + (i+1)/100 s."""
    audio = ReceivedAudio()
    for index, mark in enumerate(pattern):
        audio.add(1.0 + (index + 1) / 100, _tone() if mark == "#" else np.zeros(FRAME, np.int16))
    return audio


def test_the_first_audible_sample_is_dated_by_its_frame_arrival() -> None:
    audio = _audio("...##..#")
    assert audio.last_audible_at == 1.08
    heard = audio.first_audible_after(1.0)
    assert heard is not None and abs(heard - 1.03) < 1e-9
    later = audio.first_audible_after(1.055)
    assert later is not None and abs(later - 1.07) < 1e-9
    assert audio.first_audible_after(1.2) is None


def test_a_straddling_frame_counts_only_from_the_instant() -> None:
    audio = _audio("..##")
    heard = audio.first_audible_after(1.035)  # halfway into the first loud frame
    assert heard is not None and 1.035 <= heard < 1.04


def test_a_clip_maps_seconds_back_to_when_they_were_heard() -> None:
    audio = _audio("..##..")
    clip = audio.clip(1.025, 1.055)  # frames heard (at least partly) inside: from 1.02 to 1.06
    assert clip.samples.size == 4 * FRAME
    assert abs(clip.heard_at(0.0) - 1.02) < 1e-9
    assert abs(clip.heard_at(0.015) - 1.035) < 1e-9


def test_a_word_start_moves_forward_to_the_first_sound() -> None:
    clip = _audio("..##..").clip(1.0, 1.06)
    assert clip.sound_from(0.0) == 0.02
    assert clip.sound_from(0.045) is None
