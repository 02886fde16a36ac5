"""Every caller's ear on one FFI subscription: the agent's audio, timestamped as it arrives.

Why not `rtc.AudioStream` per caller: each one subscribes to every audio frame event of the
process and filters for its own, so N callers cost N² deliveries (64 callers at 10 ms frames
would be ~400k a second). Here one subscription hands each frame to its caller by stream
handle, and frames are stamped in the FFI thread, so a busy event loop in the load generator
does not make the agent look slower.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time

import numpy as np
from livekit import rtc
from livekit.rtc._ffi_client import FfiClient, FfiHandle
from livekit.rtc._proto import audio_frame_pb2, ffi_pb2

from agent.audio import first_audible_sample

EAR_RATE = 16000
"""Onsets need no more: the native side resamples, and the hub handles a third of the samples."""
EAR_FRAME_MS = 20
AUDIBLE_DBFS = -45.0
REPLY_DONE_SILENCE_S = 1.2
"""Quiet that ends a reply; longer than the pauses between TTS sentences (agent/caller.py's)."""


class Ear:
    """Onsets of one participant's audio, from frames the hub hands it."""

    def __init__(self) -> None:
        self.onsets: list[float] = []
        self.last_audible_at: float | None = None
        self.changed = asyncio.Event()

    def hear(self, samples: np.ndarray, arrived_at: float) -> None:
        onset = first_audible_sample(samples, EAR_RATE, threshold_dbfs=AUDIBLE_DBFS)
        if onset is None:
            return
        # the frame arrived whole: its sample `onset` was heard (len - onset) samples earlier
        heard_at = arrived_at - (samples.size - onset) / EAR_RATE
        if self.last_audible_at is None or heard_at - self.last_audible_at > REPLY_DONE_SILENCE_S:
            self.onsets.append(heard_at)
            self.changed.set()
        self.last_audible_at = arrived_at

    def onset_after(self, instant: float) -> float | None:
        onset = next((t for t in self.onsets if t >= instant), None)
        # a reply that started just before `instant` (the caller talked over it) counts from `instant`
        if onset is None and self.last_audible_at is not None and self.last_audible_at > instant:
            return instant
        return onset

    async def wait_for_onset_after(self, instant: float, timeout: float) -> float | None:
        deadline = time.perf_counter() + timeout
        while (onset := self.onset_after(instant)) is None:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return None
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(remaining, 0.05))
        return onset

    async def wait_until_quiet(self, timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            last = self.last_audible_at
            if last is not None and time.perf_counter() - last >= REPLY_DONE_SILENCE_S:
                return
            await asyncio.sleep(0.05)


class EarHub:
    """Opens native audio streams on remote tracks and feeds their frames to `Ear`s."""

    def __init__(self) -> None:
        self._ears: dict[int, Ear] = {}
        self._handles: dict[int, FfiHandle] = {}
        self._arrivals: collections.deque[float] = collections.deque()
        self._queue = FfiClient.instance.queue.subscribe(asyncio.get_running_loop(), filter_fn=self._stamp)
        self._task = asyncio.create_task(self._dispatch())

    def _stamp(self, event: ffi_pb2.FfiEvent) -> bool:
        # runs in the FFI thread as the event arrives; the queue keeps order, so stamps pair up FIFO
        if event.WhichOneof("message") != "audio_stream_event":
            return False
        self._arrivals.append(time.perf_counter())
        return True

    def listen(self, track: rtc.Track, ear: Ear) -> int:
        request = ffi_pb2.FfiRequest()
        stream = request.new_audio_stream
        stream.track_handle = track._ffi_handle.handle
        stream.sample_rate = EAR_RATE
        stream.num_channels = 1
        stream.frame_size_ms = EAR_FRAME_MS
        stream.queue_size_frames = 0  # as rtc.AudioStream asks: the hub drains it, nothing is dropped
        stream.type = audio_frame_pb2.AudioStreamType.AUDIO_STREAM_NATIVE
        handle = FfiClient.instance.request(request).new_audio_stream.stream.handle.id
        self._ears[handle] = ear
        self._handles[handle] = FfiHandle(handle)
        return handle

    def close_stream(self, handle: int) -> None:
        self._ears.pop(handle, None)
        stream = self._handles.pop(handle, None)
        if stream is not None:
            stream.dispose()

    async def _dispatch(self) -> None:
        while True:
            event = await self._queue.get()
            arrived_at = self._arrivals.popleft() if self._arrivals else time.perf_counter()
            audio = event.audio_stream_event
            if not audio.HasField("frame_received"):
                continue
            # always taken, so the native buffer is released even for a stream already closed
            frame = rtc.AudioFrame._from_owned_info(audio.frame_received.frame)
            ear = self._ears.get(audio.stream_handle)
            if ear is not None:
                ear.hear(np.frombuffer(frame.data, dtype=np.int16), arrived_at)

    async def aclose(self) -> None:
        for handle in list(self._handles):
            self.close_stream(handle)
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        FfiClient.instance.queue.unsubscribe(self._queue)
