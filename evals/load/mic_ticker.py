"""Every caller's microphone fed by one pacing task: speech when queued, silence otherwise.

One task per microphone at 10 ms real-time pacing costs 64 timers and 6,400 frames a second
in one event loop; here one tick every 20 ms tops every source up to a lead of a few frames,
so a late tick is absorbed by what the native source still holds instead of leaving a gap.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
from livekit import rtc

MIC_RATE = 48000
TICK_S = 0.02
FRAME_SAMPLES = int(MIC_RATE * TICK_S)
LEAD_S = 0.1
"""Audio kept queued ahead in each source: five ticks of slack for a late tick (on a shared 2-core
machine 8 callers' ticks ran up to 200 ms late at p95). Timing is unaffected: the last sample's
departure is dated from what is still queued."""
QUEUE_MS = 300
MAX_FRAMES_PER_TICK = round(LEAD_S / TICK_S) + 1
_SILENCE = np.zeros(FRAME_SAMPLES, np.int16)


class Microphone:
    """One caller's microphone track source, with the speech it still has to say."""

    def __init__(self) -> None:
        self.source = rtc.AudioSource(MIC_RATE, 1, queue_size_ms=QUEUE_MS)
        self._pending: list[np.ndarray] = []
        self._done: asyncio.Future[float] | None = None

    def speak(self, frames: list[np.ndarray]) -> asyncio.Future[float]:
        """Queue speech; the future resolves to the perf_counter time its last sample leaves."""
        self._pending = list(frames)
        self._done = asyncio.get_running_loop().create_future()
        return self._done

    def next_frame(self) -> tuple[np.ndarray, bool]:
        """The next frame to send, and whether it is the last of an utterance."""
        if not self._pending:
            return _SILENCE, False
        return self._pending.pop(0), not self._pending

    def spoke_last_frame(self) -> None:
        # the last sample leaves when the source's queue drains, not when it was queued
        if self._done is not None and not self._done.done():
            self._done.set_result(time.perf_counter() + self.source.queued_duration)


def frames_of(samples: np.ndarray) -> list[np.ndarray]:
    """Speech as ticker frames, padded with silence to a whole frame; done once, shared by every caller."""
    padded = np.concatenate([samples, np.zeros((-samples.size) % FRAME_SAMPLES, np.int16)])
    return list(padded.reshape(-1, FRAME_SAMPLES))


class MicTicker:
    """Paces every registered microphone in real time from one task, and records its own lateness."""

    def __init__(self) -> None:
        self._mics: dict[Microphone, None] = {}  # insertion-ordered set
        self.late_ms: list[float] = []
        self._task = asyncio.create_task(self._run())

    def add(self, mic: Microphone) -> None:
        self._mics[mic] = None

    def remove(self, mic: Microphone) -> None:
        self._mics.pop(mic, None)

    async def _run(self) -> None:
        next_at = time.perf_counter()
        while True:
            self.late_ms.append(max(0.0, (time.perf_counter() - next_at) * 1000))
            for mic in list(self._mics):
                # sequential awaits: each capture holds an unfiltered FFI subscription while it waits.
                # Bounded, and re-checked after each await: a caller that hung up meanwhile has a closed
                # source, whose capture returns at once without counting, so `while` alone would spin.
                for _ in range(MAX_FRAMES_PER_TICK):
                    if mic not in self._mics or mic.source.queued_duration >= LEAD_S:
                        break
                    samples, last = mic.next_frame()
                    try:
                        await mic.source.capture_frame(
                            rtc.AudioFrame(samples.tobytes(), MIC_RATE, 1, FRAME_SAMPLES)
                        )
                    except Exception:  # a source closed under us: that caller is gone, the others go on
                        self.remove(mic)
                        break
                    if last:
                        mic.spoke_last_frame()
            next_at += TICK_S
            delay = next_at - time.perf_counter()
            if delay < -1.0:  # hopelessly behind (a stalled loop): start pacing afresh
                next_at = time.perf_counter()
            await asyncio.sleep(max(0.0, delay))

    async def aclose(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
