"""PCM to the response formats OpenAI's speech endpoint offers, with PyAV (already a LiveKit dependency)."""

from __future__ import annotations

import io
import struct

import av
import numpy as np

SAMPLE_RATE = 24000
"""OpenAI speech is 24 kHz mono; the LiveKit plugin assumes it for raw PCM."""

CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}
_CODECS = {
    "mp3": ("mp3", "libmp3lame"),
    "opus": ("ogg", "libopus"),
    "aac": ("adts", "aac"),
    "flac": ("flac", "flac"),
}


class UnsupportedFormat(ValueError):
    """A response_format OpenAI does not offer."""


def wav_bytes(pcm: bytes, sample_rate: int = SAMPLE_RATE) -> bytes:
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + len(pcm),
        b"WAVE",
        b"fmt ",
        16,
        1,
        1,
        sample_rate,
        sample_rate * 2,
        2,
        16,
        b"data",
        len(pcm),
    )
    return header + pcm


def _encode_with_av(samples: np.ndarray, container: str, codec: str) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as output:
        stream = output.add_stream(codec, rate=SAMPLE_RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        resampler = av.AudioResampler(format=stream.codec_context.format, layout="mono", rate=SAMPLE_RATE)
        for converted in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(converted):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return buffer.getvalue()


def encode(samples: np.ndarray, response_format: str) -> bytes:
    """int16 mono samples at SAMPLE_RATE, encoded as `response_format`."""
    if response_format == "pcm":
        return samples.astype("<i2").tobytes()
    if response_format == "wav":
        return wav_bytes(samples.astype("<i2").tobytes())
    if response_format not in _CODECS:
        raise UnsupportedFormat(response_format)
    container, codec = _CODECS[response_format]
    return _encode_with_av(samples.astype(np.int16), container, codec)
