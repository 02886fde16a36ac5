"""A reply starts with sound: the silence a TTS puts before its first word is dropped.

eSpeak opens every synthesis with 12 ms of digital silence, and 39 ms before a stop consonant
("Can I have..."); cloud voices pad their starts too. Nothing is audible there, yet the caller
waits through it after the round trip has already been paid, and the agent reports its reply
as started. Only the start of a reply is trimmed: pauses between its sentences are speech
rhythm and stay.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

import numpy as np
from livekit import rtc
from livekit.agents import Agent, ModelSettings

AUDIBLE_PEAK = 32
"""About -60 dBFS: quieter than the softest word onset, louder than a codec's or resampler's
residue around digital silence."""
LEAD_IN_S = 0.002
"""Kept before the first audible sample, so a soft attack keeps the start of its ramp."""
MAX_TRIM_S = 0.5
"""A reply that opens with more silence than this meant it (a scripted pause): it plays as is."""


def _first_audible_frame_index(frame: rtc.AudioFrame) -> int | None:
    samples = np.frombuffer(frame.data, dtype=np.int16)
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) >= AUDIBLE_PEAK)
    return int(loud[0]) // frame.num_channels if loud.size else None


def _tail(frame: rtc.AudioFrame, start: int) -> rtc.AudioFrame:
    """The frame from sample `start` (per channel) on."""
    samples = np.frombuffer(frame.data, dtype=np.int16)[start * frame.num_channels :]
    return rtc.AudioFrame(
        samples.tobytes(), frame.sample_rate, frame.num_channels, frame.samples_per_channel - start
    )


async def trim_leading_silence(frames: AsyncIterable[rtc.AudioFrame]) -> AsyncIterator[rtc.AudioFrame]:
    """`frames` from the first audible sample on (less `LEAD_IN_S`).

    Silent frames are held, never lost: past `MAX_TRIM_S`, or when the reply ends without a sound,
    they are passed on unchanged.
    """
    held: list[rtc.AudioFrame] | None = []
    held_s = 0.0
    async for frame in frames:
        if held is None:
            yield frame
            continue
        onset = _first_audible_frame_index(frame)
        if onset is None:
            held.append(frame)
            held_s += frame.duration
            if held_s > MAX_TRIM_S:
                for silent in held:
                    yield silent
                held = None
            continue
        held = None
        start = max(0, onset - int(LEAD_IN_S * frame.sample_rate))
        yield _tail(frame, start) if start else frame
    for silent in held or ():
        yield silent


def tts_node_without_leading_silence(
    agent: Agent, text: AsyncIterable[str], model_settings: ModelSettings
) -> AsyncIterable[rtc.AudioFrame]:
    """Drop-in `Agent.tts_node`: LiveKit's default node, each reply starting at its first sound."""
    return trim_leading_silence(Agent.default.tts_node(agent, text, model_settings))
