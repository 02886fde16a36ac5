"""What a caller waiting in line hears: spoken notices and hold music, rendered once per worker process."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from livekit import rtc

from agent.audio import resample

SAMPLE_RATE = 48000
FRAME_MS = 20
SAMPLES_PER_FRAME = SAMPLE_RATE * FRAME_MS // 1000
MUSIC_VOLUME = 0.6
"""As the transfer's hold music: under the spoken notices, never over them."""

WELCOME = (
    "Thanks for calling. Every line is busy right now. Please stay on the line: "
    "you will be answered as soon as a line is free."
)
ANSWERED_AFTER_WAITING = "Thanks for waiting, you're through now. How can I help you today?"
"""The agent's first words to a call it takes over from the line (said by the agent, not the line)."""
STILL_WAITING = (
    "Thanks for waiting. You are still in line, and you will be answered as soon as a line is free."
)


@dataclass(frozen=True)
class HoldAudio:
    """Int16 mono samples at SAMPLE_RATE: the notice on arrival, the periodic update, and the music."""

    welcome: np.ndarray
    still_waiting: np.ndarray
    music: np.ndarray
    """Empty when HOLD_AUDIO=off: the caller then hears silence between notices, as configured."""

    def frames(self, *, update_every_s: float) -> Iterator[rtc.AudioFrame]:
        """Endless: the welcome, then music with an update every `update_every_s`."""
        yield from _frames(self.welcome)
        while True:
            yield from _frames(_loop_to(self.music, seconds=update_every_s))
            yield from _frames(self.still_waiting)


def _frames(samples: np.ndarray) -> Iterator[rtc.AudioFrame]:
    padded = np.concatenate([samples, np.zeros((-samples.size) % SAMPLES_PER_FRAME, np.int16)])
    for chunk in padded.reshape(-1, SAMPLES_PER_FRAME):
        yield rtc.AudioFrame(chunk.tobytes(), SAMPLE_RATE, 1, SAMPLES_PER_FRAME)


def _loop_to(samples: np.ndarray, *, seconds: float) -> np.ndarray:
    wanted = int(seconds * SAMPLE_RATE)
    if samples.size == 0:
        return np.zeros(wanted, np.int16)
    return np.resize(samples, wanted)  # np.resize repeats the array to fill


def _speak(text: str, *, voice: str, words_per_minute: int) -> np.ndarray:
    from agent.providers.offline.espeak import EspeakEngine

    engine = EspeakEngine.shared()
    samples = engine.synthesize(text, voice=voice, words_per_minute=words_per_minute)
    return resample(samples, engine.sample_rate, SAMPLE_RATE)


async def _decode(path: str) -> np.ndarray:
    from livekit.agents.utils.audio import audio_frames_from_file

    chunks = [
        np.frombuffer(frame.data, dtype=np.int16)
        async for frame in audio_frames_from_file(path, sample_rate=SAMPLE_RATE, num_channels=1)
    ]
    music = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    return (music.astype(np.float32) * MUSIC_VOLUME).astype(np.int16)


async def render_hold_audio(*, hold_audio: str, voice: str, words_per_minute: int) -> HoldAudio:
    """Synthesise the notices and decode the music once: every caller in line shares them."""
    welcome, still_waiting = await asyncio.gather(
        asyncio.to_thread(_speak, WELCOME, voice=voice, words_per_minute=words_per_minute),
        asyncio.to_thread(_speak, STILL_WAITING, voice=voice, words_per_minute=words_per_minute),
    )
    music = np.zeros(0, np.int16)
    if hold_audio != "off":
        from livekit.agents.voice.background_audio import BuiltinAudioClip

        music = await _decode(BuiltinAudioClip.HOLD_MUSIC.path() if hold_audio == "builtin" else hold_audio)
    return HoldAudio(welcome=welcome, still_waiting=still_waiting, music=music)
