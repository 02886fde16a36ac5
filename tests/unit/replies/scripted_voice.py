"""A scripted voice for the reply tests: each request answers after a set delay with tagged frames."""

from __future__ import annotations

import asyncio
import uuid

from livekit import rtc
from livekit.agents import APIConnectionError, tts
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions

RATE = 16000
FRAME_SAMPLES = 160


def frame_of(tag: int) -> rtc.AudioFrame:
    return rtc.AudioFrame(bytes([tag % 256, 1]) * FRAME_SAMPLES, RATE, 1, FRAME_SAMPLES)


class ScriptedVoice(tts.TTS):
    """Every request waits `first_audio_s`, then yields `frames` frames tagged 1, 2, ... by request order."""

    def __init__(self, *, first_audio_s: float = 0.05, frames: int = 3, fail_on: str | None = None) -> None:
        super().__init__(capabilities=tts.TTSCapabilities(streaming=False), sample_rate=RATE, num_channels=1)
        self.first_audio_s = first_audio_s
        self.frames = frames
        self.fail_on = fail_on
        self.requests: list[tuple[str, float]] = []
        """Each request's text and the loop time it was made."""
        self.finished: list[tuple[str, float]] = []

    @property
    def provider(self) -> str:
        return "scripted"

    @property
    def model(self) -> str:
        return "voice-1"

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> tts.ChunkedStream:
        return _Stream(self, input_text=text, conn_options=conn_options)


class _Stream(tts.ChunkedStream):
    def __init__(self, voice: ScriptedVoice, *, input_text: str, conn_options: APIConnectOptions) -> None:
        super().__init__(tts=voice, input_text=input_text, conn_options=conn_options)
        self._voice = voice

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        voice = self._voice
        loop = asyncio.get_running_loop()
        index = len(voice.requests)
        voice.requests.append((self.input_text, loop.time()))
        output_emitter.initialize(
            request_id=uuid.uuid4().hex, sample_rate=RATE, num_channels=1, mime_type="audio/pcm"
        )
        await asyncio.sleep(voice.first_audio_s)
        if voice.fail_on is not None and voice.fail_on in self.input_text:
            raise APIConnectionError("scripted failure", retryable=False)
        for _ in range(voice.frames):
            output_emitter.push(bytes(frame_of(index + 1).data))
            await asyncio.sleep(0)
        output_emitter.flush()
        voice.finished.append((self.input_text, loop.time()))
