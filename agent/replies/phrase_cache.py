"""A persistent phrase cache in front of a cloud voice: a sentence the agent has said before plays at once.

A cloud voice takes 400-800 ms to its first audio on every request, and a front desk says the
same sentences all day ("What else can I help you with?", the quick confirms). The audio of a
phrase is kept under `DATA_DIR/phrase-cache/`, keyed by the words, the voice's settings and the
output format, so the next call (a new job process) replays it with no request at all.

Only phrases that can't carry a caller's details are kept: no digits (times, dates, phone and
account numbers), no `@`, and no capitalised word inside a sentence (names, streets). A
synthesis that failed or was cut short is not kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import uuid
from pathlib import Path

from livekit import rtc
from livekit.agents import tts
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions

from agent.providers.watchdog import SpeaksForInner
from agent.replies.kept_audio import load_frames, store_frames

logger = logging.getLogger("voice_agent.replies")

MAX_PHRASE_CHARS = 120
MAX_KEPT_FILES = 2000
"""A cap on the folder, far above a front desk's repertoire: a model that never repeats itself
must not fill the disk."""
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)[\"'(]?([A-Z][\w'’-]*)")
_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]*")
_ALWAYS_CAPITALISED = {"I", "I'm", "I'll", "I've", "I'd", "I’m", "I’ll", "I’ve", "I’d"}


def is_keepable(text: str) -> bool:
    """Whether `text` is a stock phrase, safe to keep on disk: nothing in it can be about a caller."""
    text = text.strip()
    if not text or len(text) > MAX_PHRASE_CHARS or "@" in text or any(c.isdigit() for c in text):
        return False
    starts = {match.start(1) for match in _SENTENCE_START.finditer(text)}
    return all(
        match.start() in starts or match.group() in _ALWAYS_CAPITALISED
        for match in _CAPITALISED.finditer(text)
    )


class PhraseCacheTTS(SpeaksForInner, tts.TTS):
    """Serves kept phrases from memory or disk; everything else, and every miss, from `inner`."""

    def __init__(self, inner: tts.TTS, *, directory: Path | None, voice_settings: str) -> None:
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False),
            sample_rate=inner.sample_rate,
            num_channels=inner.num_channels,
        )
        self.inner: tts.TTS = inner
        self.directory = directory
        self._voice_settings = voice_settings
        self._memory: dict[str, tuple[rtc.AudioFrame, ...]] = {}
        self.hits = 0

    def key(self, text: str) -> str:
        parts = (
            text.strip(),
            self._voice_settings,
            self.inner.provider,
            self.inner.model,
            str(self.sample_rate),
        )
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]

    def _path(self, key: str) -> Path | None:
        return None if self.directory is None else self.directory / f"{key}.npz"

    async def kept(self, text: str) -> tuple[rtc.AudioFrame, ...] | None:
        """The phrase's kept audio, from memory or disk; None when it has none."""
        if not is_keepable(text):
            return None
        key = self.key(text)
        if (frames := self._memory.get(key)) is not None:
            return frames
        path = self._path(key)
        if path is None:
            return None
        frames = await asyncio.to_thread(load_frames, path)
        if frames is not None and frames[0].sample_rate == self.sample_rate:
            self._memory[key] = frames
            return frames
        return None

    async def keep(self, text: str, frames: list[rtc.AudioFrame]) -> None:
        key = self.key(text)
        self._memory[key] = tuple(frames)
        path = self._path(key)
        if path is None or self.directory is None:
            return
        if await asyncio.to_thread(_folder_full, self.directory):
            return
        await asyncio.to_thread(store_frames, path, frames)

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> tts.ChunkedStream:
        return _PhraseStream(self, input_text=text, conn_options=conn_options)

    def prewarm(self) -> None:
        self.inner.prewarm()

    async def aclose(self) -> None:
        await self.inner.aclose()


def _folder_full(directory: Path) -> bool:
    try:
        return sum(1 for _ in directory.glob("*.npz")) >= MAX_KEPT_FILES
    except OSError:
        return True


class _PhraseStream(tts.ChunkedStream):
    def __init__(self, owner: PhraseCacheTTS, *, input_text: str, conn_options: APIConnectOptions) -> None:
        super().__init__(tts=owner, input_text=input_text, conn_options=conn_options)
        self._owner = owner

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        output_emitter.initialize(
            request_id=uuid.uuid4().hex,
            sample_rate=self._owner.sample_rate,
            num_channels=self._owner.num_channels,
            mime_type="audio/pcm",
        )
        kept = await self._owner.kept(self.input_text)
        if kept is not None:
            self._owner.hits += 1
            for frame in kept:
                output_emitter.push(bytes(frame.data))
            output_emitter.flush()
            return
        keepable = is_keepable(self.input_text)
        frames: list[rtc.AudioFrame] = []
        async with self._owner.inner.synthesize(self.input_text, conn_options=self._conn_options) as inner:
            async for audio in inner:
                output_emitter.push(bytes(audio.frame.data))
                if keepable:
                    frames.append(audio.frame)
        output_emitter.flush()
        # reached only when the synthesis ran to its end: a failed or interrupted one raised above
        if keepable and frames and all(f.sample_rate == self._owner.sample_rate for f in frames):
            await self._owner.keep(self.input_text, frames)
