import wave
from pathlib import Path

import numpy as np
import pytest

from agent.audio import AudioInputError, first_audible_sample, read_wav, resample, rms_dbfs


def write_wav(path: Path, samples: np.ndarray, rate: int, channels: int) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype(np.int16).tobytes())


def tone(rate: int, seconds: float, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * hz * t) * 10000).astype(np.int16)


def test_telephone_stereo_wav_is_mixed_down_and_resampled(tmp_path: Path) -> None:
    mono = tone(8000, 1.0)
    stereo = np.stack([mono, mono], axis=1).reshape(-1)
    path = tmp_path / "phone.wav"
    write_wav(path, stereo, 8000, 2)
    audio = read_wav(path, target_rate=48000)
    assert audio.sample_rate == 48000
    assert abs(audio.duration_s - 1.0) < 0.02
    assert rms_dbfs(audio.samples) > -15


def test_resample_keeps_duration() -> None:
    out = resample(tone(22050, 0.5), 22050, 16000)
    assert abs(out.size - 8000) < 80


def test_unreadable_and_empty_files_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(AudioInputError, match="not found"):
        read_wav(tmp_path / "missing.wav", target_rate=16000)
    empty = tmp_path / "empty.wav"
    write_wav(empty, np.zeros(0, np.int16), 16000, 1)
    with pytest.raises(AudioInputError, match="no audio"):
        read_wav(empty, target_rate=16000)


def test_first_audible_sample_finds_the_onset() -> None:
    rate = 48000
    samples = np.concatenate([np.zeros(rate // 2, np.int16), tone(rate, 0.2)])
    onset = first_audible_sample(samples, rate, threshold_dbfs=-45)
    assert onset is not None and abs(onset - rate // 2) <= rate // 200
    assert first_audible_sample(np.zeros(rate, np.int16), rate, threshold_dbfs=-45) is None
