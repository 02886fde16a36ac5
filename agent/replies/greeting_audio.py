"""The greeting's audio: synthesized once, replayed to every later call.

Every call opens with the same words, and with a cloud voice their synthesis is most of the wait
for the caller's first sound (the cloud profile's TTS takes 400-800 ms to its first audio). So the
first call's greeting audio is kept, and a later call with the same words and the same voice
replays it at once. The first call still gains: its synthesis starts while the worker waits for
the caller to subscribe.

A job process serves one call and exits (livekit-agents' process executor), so what is kept goes
to a file under `DATA_DIR/greetings/` that the next process reads; in memory too, for the thread
executor's calls that share a process. Only fixed texts come here (the configured greeting, the
waiting line's hand-over, the rescue), never words about a caller.

The key is the words, the voice settings, and the voice that serves next (`TTS.provider`/`model`,
which a FallbackAdapter reports for its first available instance): while the cloud voice is down
calls replay the backup voice's greeting, and get the cloud one again once it recovers. A synthesis
that changed voice part way, failed, or stopped early is not kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from livekit import rtc
from livekit.agents import tts

from agent.replies.kept_audio import load_frames, store_frames

if TYPE_CHECKING:
    from agent.config import Settings

logger = logging.getLogger("agent.greeting")

_directory: Path | None = None
_voice_settings = ""
_KEPT: dict[str, tuple[rtc.AudioFrame, ...]] = {}
_RECORDING: set[asyncio.Task[None]] = set()
"""The loop holds tasks weakly: a greeting interrupted early must still finish its synthesis."""


def keep_greetings_in(directory: Path | None, voice_settings: str) -> None:
    """Once per process (prewarm): where kept greetings live, and the settings that shape the voice."""
    global _directory, _voice_settings
    _directory, _voice_settings = directory, voice_settings


def greeting_voice(settings: Settings) -> str:
    """The settings that change how a greeting sounds (never a key: nothing secret goes in a file name)."""
    return "|".join(
        (
            settings.openai_base_url,
            settings.openai_tts_model,
            settings.openai_tts_voice,
            settings.offline_tts_voice,
            str(settings.offline_tts_words_per_minute),
        )
    )


def _key(text: str, engine: tts.TTS) -> str:
    parts = (text, _voice_settings, engine.provider, engine.model)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _file(key: str) -> Path | None:
    return None if _directory is None else _directory / f"{key}.npz"


def _load(key: str) -> tuple[rtc.AudioFrame, ...] | None:
    path = _file(key)
    return None if path is None else load_frames(path)


def _store(key: str, frames: list[rtc.AudioFrame]) -> None:
    path = _file(key)
    if path is not None:
        store_frames(path, frames)


async def _replay(frames: tuple[rtc.AudioFrame, ...]) -> AsyncIterator[rtc.AudioFrame]:
    for frame in frames:
        yield frame


class _Recording:
    """Pulls the synthesis to its end in the background, keeping every frame for the next call."""

    def __init__(self, key: str, engine: tts.TTS, audio: AsyncIterable[rtc.AudioFrame]) -> None:
        self._key = key
        self._voice = (engine.provider, engine.model)
        self._engine = engine
        self._frames: list[rtc.AudioFrame] = []
        self._more = asyncio.Event()
        self._done = False
        # not cancelled when the caller interrupts the greeting: the next call still gets it whole
        task = asyncio.create_task(self._record(audio), name="greeting-synthesis")
        _RECORDING.add(task)
        task.add_done_callback(_RECORDING.discard)

    async def _record(self, audio: AsyncIterable[rtc.AudioFrame]) -> None:
        try:
            async for frame in audio:
                self._frames.append(frame)
                self._more.set()
        except Exception as error:  # the call plays what came; the next call synthesizes anew
            logger.warning("greeting synthesis failed", extra={"error": type(error).__name__})
            return
        finally:
            self._done = True
            self._more.set()
        if self._frames and (self._engine.provider, self._engine.model) == self._voice:
            _KEPT[self._key] = tuple(self._frames)
            await asyncio.to_thread(_store, self._key, self._frames)

    async def play(self) -> AsyncIterator[rtc.AudioFrame]:
        played = 0
        while True:
            while played < len(self._frames):
                yield self._frames[played]
                played += 1
            if self._done:
                return
            self._more.clear()
            await self._more.wait()


def greeting_audio(
    text: str, engine: tts.TTS, synthesize: Callable[[], AsyncIterable[rtc.AudioFrame]]
) -> AsyncIterable[rtc.AudioFrame]:
    """The greeting's frames: kept ones at once, else `synthesize()`, started now and kept when whole."""
    key = _key(text, engine)
    kept = _KEPT.get(key) or _load(key)
    if kept is not None:
        _KEPT[key] = kept
        return _replay(kept)
    return _Recording(key, engine, synthesize()).play()


def forget_kept_greetings() -> None:
    """For tests: the next call synthesizes again (files stay; point `keep_greetings_in` elsewhere)."""
    _KEPT.clear()
