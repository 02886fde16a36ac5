"""Offline streaming STT in two passes: pocketsphinx interims while the caller speaks, then
Whisper finals over the speech the VAD bounds.

Whisper costs ~0.35 s per decode whatever the length, so decoding only after the VAD's
end of speech (which Silero declares ~0.3-0.5 s after the voice stops) puts the final
~0.7 s late. The stream therefore watches the signal level itself: after a short quiet
gap it decodes what was said so far and emits that as a final straight away. If the
caller goes on, the rest becomes another final, as cloud STTs do at pauses; that decode
still hears the utterance from its start and is told the words already emitted.

A decode started in a gap the caller then speaks through is given up after Whisper's encoder
(it cannot be stopped inside CTranslate2), so the decode that matters waits for at most the
encoder, not a whole decode: streamed 8 kHz clips spent ~200-250 ms in the encoder and
another ~200-350 ms in the token search.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid

import numpy as np
from livekit import rtc
from livekit.agents import stt, vad
from livekit.agents.types import (
    DEFAULT_API_CONNECT_OPTIONS,
    NOT_GIVEN,
    APIConnectOptions,
    NotGivenOr,
    TimedString,
)

from agent.audio import rms_dbfs
from agent.providers.offline import shared_models
from agent.providers.offline.sphinx_partials import (
    NARROWBAND_RATE,
    SPHINX_SAMPLE_RATE,
    HighBandFloor,
    SphinxPartials,
)
from agent.providers.offline.whisper_stt import MAX_SHORT_DECODE_S, WhisperSTT

logger = logging.getLogger(__name__)

EARLY_FINAL_AFTER_QUIET_S = 0.05
"""Quiet after speech that starts a Whisper decode, before the VAD has ruled."""
QUIET_BELOW_PEAK_DB = 18.0
"""A chunk this far below the utterance's loudest counts as quiet (relative, so noise-robust)."""
QUIET_FLOOR_DBFS = -50.0
QUIET_PROBABILITY = 0.3
"""A VAD window under this speech probability is quiet too: in steady background noise the level
never drops 18 dB below the peak, but Silero still tells noise from voice."""
SPHINX_LOOKBACK_S = 0.15
"""Audio before the VAD's speech start that pocketsphinx hears. Not the VAD's whole 0.5 s prefix:
with its language weight lowered, pocketsphinx names background noise ("a", "mm") too."""


_TRAILING_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)+\s*$")


def said_so_far(finals: list[str]) -> str:
    """The words earlier finals took, as the prompt a continuation decode is forced to begin with.

    Without the trailing ellipsis Whisper writes for speech cut off at a pause ("No. That time is
    too..."): forced into the prompt, it tells Whisper the speech stopped there, and its alignment
    then puts the words that follow on no sound. "early." after "... too..." came back with
    confidence 0.0-0.14 (0.98 without the dots), so the turn detector took a clearly spoken last
    word for an invented one and judged the turn by "... too...": unfinished, answered after the
    1.6 s maximum (issue 21's "No, that time is too early.", 2.0 s). The final keeps its dots:
    the caller did pause there."""
    return " ".join(_TRAILING_ELLIPSIS.sub("", final) for final in finals).strip()


def _samples(frames: list[rtc.AudioFrame]) -> tuple[np.ndarray, int]:
    if not frames:
        return np.zeros(0, np.int16), SPHINX_SAMPLE_RATE
    frame = rtc.combine_audio_frames(frames)
    return np.frombuffer(frame.data, dtype=np.int16), frame.sample_rate


def _tail(frames: list[rtc.AudioFrame], seconds: float) -> list[rtc.AudioFrame]:
    """The last `seconds` of `frames` (whole frames, cut at the first one needed)."""
    if not frames:
        return frames
    frame = rtc.combine_audio_frames(frames)
    keep = min(frame.samples_per_channel, max(0, int(seconds * frame.sample_rate)))
    samples = np.frombuffer(frame.data, dtype=np.int16)[frame.samples_per_channel - keep :]
    return [rtc.AudioFrame(samples.tobytes(), frame.sample_rate, 1, keep)] if keep else []


class OfflineStreamingSTT(stt.STT):
    def __init__(
        self,
        *,
        whisper: WhisperSTT,
        vad_model: vad.VAD,
        partials: SphinxPartials | None = None,
        accepts_flush: bool = False,
    ) -> None:
        """`accepts_flush` declares LiveKit's `manual_flush`, for a chain whose primary finalizes
        on a flush (Deepgram's `Finalize`): `stt.FallbackAdapter` flushes only when every one of
        its STTs declares it. A flush asks for nothing this stream does not already do: its own
        early decode starts 50 ms into the caller's pause, before LiveKit's VAD (0.3 s of silence)
        can ask, so the flush is taken and dropped. Left off for the offline-only chain, whose
        end-of-turn timing was measured without LiveKit's flush path."""
        super().__init__(
            capabilities=stt.STTCapabilities(streaming=True, interim_results=True, manual_flush=accepts_flush)
        )
        self._whisper = whisper
        self._vad = vad_model
        self._spare_partials = partials
        """A decoder handed in; the first stream takes it, later ones borrow from the process."""

    async def _take_partials(self) -> SphinxPartials:
        spare, self._spare_partials = self._spare_partials, None
        if spare is None:
            spare = shared_models.take_partials()  # one the prewarm loaded, or a finished stream's
        # loading costs ~0.3 s of CPU: never on the event loop
        return spare if spare is not None else await asyncio.to_thread(SphinxPartials)

    @property
    def model(self) -> str:
        return "pocketsphinx+whisper-tiny.en"

    @property
    def provider(self) -> str:
        return "offline"

    async def _recognize_impl(
        self, buffer: object, *, language: NotGivenOr[str] = NOT_GIVEN, conn_options: APIConnectOptions
    ) -> stt.SpeechEvent:
        return await self._whisper._recognize_impl(buffer, language=language, conn_options=conn_options)  # type: ignore[arg-type]

    def stream(
        self,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
    ) -> stt.RecognizeStream:
        return _TwoPassStream(self, conn_options=conn_options)


class _Utterance:
    """The frames of one VAD-bounded utterance and how much of it is already transcribed."""

    def __init__(self, frames: list[rtc.AudioFrame]) -> None:
        self.frames = list(frames)
        self.peak_dbfs = max((rms_dbfs(_samples([f])[0]) for f in frames), default=-120.0)
        self.last_loud = len(self.frames)
        self.quiet_s = 0.0
        self.transcribed_upto = 0
        self.said: list[str] = []
        """The finals already emitted for this utterance, in order."""
        self.decoding: asyncio.Task[None] | None = None
        """At most one decode in flight: CTranslate2 cannot stop one, so a decode started in a
        gap the caller then spoke through must not queue others behind it."""

    def add(self, frame: rtc.AudioFrame, speech_probability: float) -> bool:
        """Append a chunk; True when it is loud enough, and voice-like enough, to count as speech."""
        self.frames.append(frame)
        level = rms_dbfs(_samples([frame])[0])
        self.peak_dbfs = max(self.peak_dbfs, level)
        loud = level >= max(self.peak_dbfs - QUIET_BELOW_PEAK_DB, QUIET_FLOOR_DBFS)
        if loud and speech_probability >= QUIET_PROBABILITY:
            self.last_loud = len(self.frames)
            self.quiet_s = 0.0
            return True
        self.quiet_s += frame.samples_per_channel / frame.sample_rate
        return False


class _TwoPassStream(stt.RecognizeStream):
    def __init__(self, owner: OfflineStreamingSTT, *, conn_options: APIConnectOptions) -> None:
        super().__init__(stt=owner, conn_options=conn_options)
        self._owner = owner
        self._partials: SphinxPartials  # loaded at the start of _run
        self._utterance: _Utterance | None = None
        self._last_interim = ""
        self._sphinx_resampler: rtc.AudioResampler | None = None
        self._high_band_floor = HighBandFloor()

    async def _run(self) -> None:
        self._partials = await self._owner._take_partials()
        vad_stream = self._owner._vad.stream()
        forward = asyncio.create_task(self._forward(vad_stream))
        try:
            async for event in vad_stream:
                await self._on_vad_event(event)
        finally:
            forward.cancel()
            await asyncio.gather(forward, return_exceptions=True)
            await vad_stream.aclose()
            # to the next stream in this process: a decoder per call in progress, not per call ever
            shared_models.give_back_partials(self._partials)

    async def _forward(self, vad_stream: vad.VADStream) -> None:
        async for data in self._input_ch:
            if isinstance(data, rtc.AudioFrame):
                vad_stream.push_frame(data)
            # a flush is not passed on: Silero's stream resets its speech state on one, which
            # would cut the caller's utterance in two if LiveKit flushed in a pause they then
            # spoke through (a negative verdict flushes halfway through its wait)
        vad_stream.end_input()

    async def _on_vad_event(self, event: vad.VADEvent) -> None:
        if event.type == vad.VADEventType.START_OF_SPEECH:
            self._utterance = _Utterance(event.frames)
            self._last_interim = ""
            self._sphinx_resampler = None
            self._partials.start()
            self._event_ch.send_nowait(stt.SpeechEvent(type=stt.SpeechEventType.START_OF_SPEECH))
            await self._interim(_tail(event.frames, event.speech_duration + SPHINX_LOOKBACK_S))
        elif event.type == vad.VADEventType.INFERENCE_DONE and self._utterance is not None:
            for frame in event.frames:
                self._utterance.add(frame, event.probability)
            self._decode_early(self._utterance)
            await self._interim(event.frames)
        elif event.type == vad.VADEventType.END_OF_SPEECH and self._utterance is not None:
            utterance, self._utterance = self._utterance, None
            self._partials.stop()
            if utterance.decoding is not None:
                await utterance.decoding
            if utterance.last_loud > utterance.transcribed_upto:
                await self._transcribe(utterance, len(utterance.frames))
            self._event_ch.send_nowait(stt.SpeechEvent(type=stt.SpeechEventType.END_OF_SPEECH))

    def _decode_early(self, utterance: _Utterance) -> None:
        """In a quiet gap, decode what was said so far, unless a decode is already running."""
        if (
            utterance is self._utterance
            and utterance.decoding is None
            and utterance.quiet_s >= EARLY_FINAL_AFTER_QUIET_S
            and utterance.last_loud > utterance.transcribed_upto
        ):
            utterance.decoding = asyncio.create_task(self._transcribe(utterance, utterance.last_loud))
            utterance.decoding.add_done_callback(lambda task: self._early_decode_done(utterance, task))

    def _early_decode_done(self, utterance: _Utterance, task: asyncio.Task[None]) -> None:
        utterance.decoding = None
        if not task.cancelled() and task.exception() is not None:
            logger.warning("early Whisper decode failed", exc_info=task.exception())
            return
        # the caller may have spoken through the gap, and be quiet again by now
        self._decode_early(utterance)

    async def _transcribe(self, utterance: _Utterance, upto: int) -> None:
        """Decode frames not yet transcribed up to `upto` and emit them as a final.

        After an earlier final the decode still hears the utterance from its start, told the
        words already emitted (a fragment decoded alone loses its context and is misread).
        Past Whisper's window only the new frames are decoded."""
        start = utterance.transcribed_upto
        heard, said_before = utterance.frames[:upto], said_so_far(utterance.said)
        if start and sum(f.samples_per_channel / f.sample_rate for f in heard) > MAX_SHORT_DECODE_S:
            heard, said_before = utterance.frames[start:upto], ""
        samples, rate = _samples(heard)
        decoded = await asyncio.to_thread(
            self._owner._whisper.transcribe_words,
            samples,
            rate,
            said_before=said_before,
            still_wanted=lambda: utterance.last_loud <= upto,
        )
        if decoded is None or utterance.last_loud > upto:
            return  # speech resumed while decoding: this guess is incomplete, the next gap redoes it
        utterance.transcribed_upto = max(utterance.transcribed_upto, upto)
        if text := decoded.text:
            utterance.said.append(text)
            # per-word confidence, as cloud STTs report it: the turn detector doubts a guessed ending
            words = [TimedString(word.text, confidence=word.confidence) for word in decoded.words]
            self._event_ch.send_nowait(
                stt.SpeechEvent(
                    type=stt.SpeechEventType.FINAL_TRANSCRIPT,
                    request_id=uuid.uuid4().hex,
                    alternatives=[stt.SpeechData(language="en", text=text, words=words or None)],
                )
            )

    def _to_sphinx_rate(self, frames: list[rtc.AudioFrame]) -> np.ndarray:
        samples, rate = _samples(frames)
        if rate == SPHINX_SAMPLE_RATE or samples.size == 0:
            return samples
        if self._sphinx_resampler is None:  # one per utterance: it carries filter state across chunks
            self._sphinx_resampler = rtc.AudioResampler(rate, SPHINX_SAMPLE_RATE, num_channels=1)
        chunks = self._sphinx_resampler.push(bytearray(samples.tobytes()))
        resampled = (
            np.concatenate([np.frombuffer(c.data, np.int16) for c in chunks]) if chunks else samples[:0]
        )
        return self._high_band_floor.add(resampled) if rate <= NARROWBAND_RATE else resampled

    async def _interim(self, frames: list[rtc.AudioFrame]) -> None:
        text = await asyncio.to_thread(self._partials.feed, self._to_sphinx_rate(frames))
        if text and text != self._last_interim:
            self._last_interim = text
            self._event_ch.send_nowait(
                stt.SpeechEvent(
                    type=stt.SpeechEventType.INTERIM_TRANSCRIPT,
                    alternatives=[stt.SpeechData(language="en", text=text)],
                )
            )
