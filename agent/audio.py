"""Audio helpers shared by the worker and the caller: resampling, WAV I/O, energy onsets."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from livekit import rtc


class AudioInputError(ValueError):
    """Audio that cannot be used, with a message fit for one line."""


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Resample int16 mono samples with LiveKit's own (soxr-based) resampler."""
    if from_rate == to_rate or samples.size == 0:
        return samples.astype(np.int16, copy=False)
    resampler = rtc.AudioResampler(
        input_rate=from_rate,
        output_rate=to_rate,
        num_channels=1,
        quality=rtc.AudioResamplerQuality.HIGH,
    )
    frames = resampler.push(bytearray(samples.astype(np.int16).tobytes()))
    frames += resampler.flush()
    if not frames:
        return np.zeros(0, dtype=np.int16)
    return np.concatenate([np.frombuffer(f.data, dtype=np.int16) for f in frames])


@dataclass(frozen=True)
class MonoAudio:
    samples: np.ndarray  # int16
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return self.samples.size / self.sample_rate


def read_wav(path: Path, *, target_rate: int) -> MonoAudio:
    """Read a PCM WAV file, mix it down to mono and resample it to `target_rate`."""
    if not path.is_file():
        raise AudioInputError(f"WAV file not found: {path}")
    try:
        with wave.open(str(path), "rb") as wav:
            channels = wav.getnchannels()
            width = wav.getsampwidth()
            rate = wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise AudioInputError(f"{path} is not a readable PCM WAV file: {exc}") from exc
    dtypes = {1: np.uint8, 2: np.int16, 4: np.int32}
    if width not in dtypes:
        raise AudioInputError(f"{path}: unsupported sample width of {width * 8} bits")
    data = np.frombuffer(raw, dtype=dtypes[width]).astype(np.float64)
    if width == 1:
        data = (data - 128.0) * 256.0
    elif width == 4:
        data = data / 65536.0
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1)
    if data.size == 0:
        raise AudioInputError(f"{path} contains no audio")
    mono = np.clip(data, -32768, 32767).astype(np.int16)
    return MonoAudio(resample(mono, rate, target_rate), target_rate)


def write_wav(path: Path, audio: MonoAudio) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(audio.sample_rate)
        wav.writeframes(audio.samples.astype(np.int16).tobytes())


def rms_dbfs(samples: np.ndarray) -> float:
    """Root-mean-square level of int16 samples, in dB relative to full scale."""
    if samples.size == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(np.square(samples.astype(np.float64)))))
    return 20.0 * np.log10(max(rms, 1e-6) / 32768.0)


def first_audible_sample(samples: np.ndarray, sample_rate: int, *, threshold_dbfs: float) -> int | None:
    """Index of the first 5 ms window whose level reaches `threshold_dbfs`, or None."""
    window = max(1, sample_rate // 200)
    for start in range(0, samples.size, window):
        if rms_dbfs(samples[start : start + window]) >= threshold_dbfs:
            return start
    return None
