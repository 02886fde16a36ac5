"""Audio kept on disk between calls: frames to one `.npz` file and back, written whole or not at all.

A job process serves one call and exits (livekit-agents' process executor), so audio worth
keeping (the greeting, the agent's repeated phrases) must outlive it in a file the next process
reads. Several job processes write the same folder, so a file is written aside and renamed in.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from livekit import rtc

logger = logging.getLogger("voice_agent.replies")

FRAME_S = 0.02
"""Replayed frames are 20 ms, the size LiveKit's audio source sends anyway."""


def load_frames(path: Path) -> tuple[rtc.AudioFrame, ...] | None:
    """The frames kept in `path`; None when there are none, or the file is torn or foreign."""
    if not path.is_file():
        return None
    try:
        with np.load(path) as stored:
            samples, rate, channels = stored["samples"], int(stored["rate"]), int(stored["channels"])
    except (OSError, ValueError, KeyError) as error:  # synthesize again rather than fail the call
        logger.warning("ignoring kept audio", extra={"file": path.name, "error": type(error).__name__})
        return None
    if samples.dtype != np.int16 or rate <= 0 or channels <= 0:
        return None
    step = max(1, int(rate * FRAME_S)) * channels
    return tuple(
        rtc.AudioFrame(
            samples[i : i + step].tobytes(), rate, channels, samples[i : i + step].size // channels
        )
        for i in range(0, samples.size, step)
    )


def store_frames(path: Path, frames: Sequence[rtc.AudioFrame]) -> bool:
    """Writes `frames` to `path` atomically; False (and nothing written) when they can't be kept."""
    if not frames:
        return False
    first = frames[0]
    if any(f.sample_rate != first.sample_rate or f.num_channels != first.num_channels for f in frames):
        return False
    samples = np.concatenate([np.frombuffer(f.data, dtype=np.int16) for f in frames])
    out_name: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as out:
            out_name = out.name
            np.savez(out, samples=samples, rate=first.sample_rate, channels=first.num_channels)
        os.replace(out_name, path)
        return True
    except OSError as error:
        logger.warning("could not keep audio", extra={"file": path.name, "error": type(error).__name__})
        if out_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(out_name)
        return False
