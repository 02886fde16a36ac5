"""A reply's opening silence is dropped; everything after its first sound plays untouched."""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np
import pytest
from livekit import rtc

from agent.providers.offline.espeak import EspeakEngine
from agent.replies.leading_silence import LEAD_IN_S, MAX_TRIM_S, trim_leading_silence

RATE = 24000
FRAME = 480  # 20 ms


def frames_of(samples: np.ndarray, channels: int = 1) -> list[rtc.AudioFrame]:
    step = FRAME * channels
    return [
        rtc.AudioFrame(
            samples[i : i + step].tobytes(), RATE, channels, samples[i : i + step].size // channels
        )
        for i in range(0, samples.size, step)
    ]


async def stream(frames: list[rtc.AudioFrame]) -> AsyncIterator[rtc.AudioFrame]:
    for frame in frames:
        yield frame


async def trimmed(frames: list[rtc.AudioFrame]) -> np.ndarray:
    out = [np.frombuffer(f.data, dtype=np.int16) async for f in trim_leading_silence(stream(frames))]
    return np.concatenate(out) if out else np.zeros(0, np.int16)


def tone(n: int, amplitude: int = 3000) -> np.ndarray:
    return (amplitude * np.cos(np.arange(n) * 0.3)).astype(np.int16)  # loud from its first sample


async def test_opening_silence_across_frames_is_dropped_to_a_short_lead_in() -> None:
    silence, sound = np.zeros(1000, np.int16), tone(2000)
    out = await trimmed(frames_of(np.concatenate([silence, sound])))
    lead_in = out.size - sound.size
    assert 0 < lead_in <= int(LEAD_IN_S * RATE)
    np.testing.assert_array_equal(out[lead_in:], sound)


async def test_pauses_after_the_first_sound_are_kept() -> None:
    reply = np.concatenate([tone(600), np.zeros(4800, np.int16), tone(600)])
    out = await trimmed(frames_of(reply))
    np.testing.assert_array_equal(out, reply)


async def test_a_long_opening_pause_is_meant_and_plays_whole() -> None:
    reply = np.concatenate([np.zeros(int((MAX_TRIM_S + 0.1) * RATE), np.int16), tone(960)])
    out = await trimmed(frames_of(reply))
    np.testing.assert_array_equal(out, reply)


async def test_a_reply_with_no_sound_loses_nothing() -> None:
    reply = np.zeros(2400, np.int16)
    out = await trimmed(frames_of(reply))
    np.testing.assert_array_equal(out, reply)


async def test_stereo_is_cut_on_a_whole_sample() -> None:
    left = np.concatenate([np.zeros(700, np.int16), tone(500)])
    right = np.concatenate([np.zeros(700, np.int16), tone(500, 50)])
    interleaved = np.stack([left, right], axis=1).reshape(-1)
    frames = frames_of(interleaved, channels=2)
    out = [f async for f in trim_leading_silence(stream(frames))]
    assert all(f.num_channels == 2 for f in out)
    samples = np.concatenate([np.frombuffer(f.data, dtype=np.int16) for f in out]).reshape(-1, 2)
    lead_in = int(LEAD_IN_S * RATE)
    assert samples.shape[0] == 500 + lead_in
    np.testing.assert_array_equal(samples[lead_in:, 0], left[700:])


@pytest.mark.parametrize("text", ["Thanks for calling.", "Can I have your name?"])
async def test_espeak_replies_start_within_a_lead_in_of_their_first_sound(text: str) -> None:
    """The case that motivated it: eSpeak opens with 12-39 ms of digital silence."""
    engine = EspeakEngine.shared()
    synthesized, rate = engine.synthesize(text), engine.sample_rate
    opening = int(np.flatnonzero(synthesized != 0)[0])
    assert opening >= int(0.01 * rate)
    frames = [
        rtc.AudioFrame(synthesized[i : i + 441].tobytes(), rate, 1, synthesized[i : i + 441].size)
        for i in range(0, synthesized.size, 441)
    ]
    out = [f async for f in trim_leading_silence(stream(frames))]
    total = sum(f.samples_per_channel for f in out)
    assert synthesized.size - total >= opening - int(LEAD_IN_S * rate) - 1
