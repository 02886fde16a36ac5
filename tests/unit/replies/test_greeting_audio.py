"""The greeting is synthesized once per process and replayed; a failed or switched synthesis is not kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from livekit import rtc

from agent.replies.greeting_audio import forget_kept_greetings, greeting_audio, keep_greetings_in


class _Voice:
    def __init__(self, model: str = "voice-a") -> None:
        self.provider = "test"
        self.model = model


def _frame(i: int) -> rtc.AudioFrame:
    return rtc.AudioFrame(bytes([i]) * 320, 16000, 1, 160)


@pytest.fixture(autouse=True)
def _fresh(tmp_path: Path) -> Iterator[None]:
    keep_greetings_in(tmp_path / "greetings", "voice settings")
    forget_kept_greetings()
    yield
    forget_kept_greetings()
    keep_greetings_in(None, "")


class _Synthesizer:
    """Counts its syntheses; yields `frames` frames, then optionally fails or switches the voice."""

    def __init__(
        self, frames: int, *, then_fail: bool = False, switch: tuple[_Voice, str] | None = None
    ) -> None:
        self.calls = 0
        self._frames, self._then_fail, self._switch = frames, then_fail, switch

    async def __call__(self) -> AsyncIterator[rtc.AudioFrame]:
        self.calls += 1
        for i in range(self._frames):
            yield _frame(i)
        if self._switch is not None:
            voice, model = self._switch
            voice.model = model  # the fallback adapter moved on part way
        if self._then_fail:
            raise RuntimeError("provider dropped the stream")


async def _collect(audio: object) -> list[bytes]:
    return [bytes(frame.data.cast("B")) async for frame in audio]  # type: ignore[attr-defined]


async def _kept_files(directory: Path) -> list[Path]:
    for _ in range(20):  # the file is written off the event loop once the synthesis ends
        if files := list(directory.glob("*.npz")):
            return files
        await asyncio.sleep(0.05)
    raise AssertionError("no greeting was kept")


async def test_the_second_call_replays_the_first_calls_audio_without_synthesizing() -> None:
    voice, synthesize = _Voice(), _Synthesizer(3)
    first = await _collect(greeting_audio("Hello.", voice, synthesize))  # type: ignore[arg-type]
    second = await _collect(greeting_audio("Hello.", voice, synthesize))  # type: ignore[arg-type]
    assert first == second and len(first) == 3
    assert synthesize.calls == 1
    await _collect(greeting_audio("Hi again.", voice, synthesize))  # type: ignore[arg-type]
    assert synthesize.calls == 2


async def test_a_failed_synthesis_plays_what_came_and_is_not_kept() -> None:
    voice, synthesize = _Voice(), _Synthesizer(1, then_fail=True)
    assert len(await _collect(greeting_audio("Hello.", voice, synthesize))) == 1  # type: ignore[arg-type]
    await _collect(greeting_audio("Hello.", voice, synthesize))  # type: ignore[arg-type]
    assert synthesize.calls == 2


async def test_a_synthesis_that_switched_voice_is_not_kept() -> None:
    voice = _Voice("cloud")
    synthesize = _Synthesizer(1, switch=(voice, "backup"))
    await _collect(greeting_audio("Hello.", voice, synthesize))  # type: ignore[arg-type]
    voice.model = "cloud"  # recovered
    await _collect(greeting_audio("Hello.", voice, synthesize))  # type: ignore[arg-type]
    assert synthesize.calls == 2


async def test_a_greeting_cut_short_still_finishes_its_synthesis_for_the_next_call() -> None:
    voice, synthesize = _Voice(), _Synthesizer(5)
    audio = greeting_audio("Hello.", voice, synthesize).__aiter__()  # type: ignore[arg-type]
    await audio.__anext__()
    await audio.aclose()  # the caller talked over the greeting
    assert len(await _collect(greeting_audio("Hello.", voice, synthesize))) == 5  # type: ignore[arg-type]
    assert synthesize.calls == 1


async def test_the_next_job_process_replays_the_kept_file(tmp_path: Path) -> None:
    voice, synthesize = _Voice(), _Synthesizer(4)
    first = await _collect(greeting_audio("Hello.", voice, synthesize))  # type: ignore[arg-type]
    await _kept_files(tmp_path / "greetings")
    forget_kept_greetings()  # a new process: nothing in memory
    replayed = await _collect(greeting_audio("Hello.", voice, synthesize))  # type: ignore[arg-type]
    assert b"".join(replayed) == b"".join(first)  # the same audio, in 20 ms frames
    assert synthesize.calls == 1
    keep_greetings_in(tmp_path / "greetings", "another voice")  # VOICE settings changed
    await _collect(greeting_audio("Hello.", voice, synthesize))  # type: ignore[arg-type]
    assert synthesize.calls == 2


async def test_a_torn_file_is_ignored_and_synthesized_again(tmp_path: Path) -> None:
    voice, synthesize = _Voice(), _Synthesizer(1)
    await _collect(greeting_audio("Hello.", voice, synthesize))  # type: ignore[arg-type]
    (await _kept_files(tmp_path / "greetings"))[0].write_bytes(b"not a greeting")
    forget_kept_greetings()
    assert len(await _collect(greeting_audio("Hello.", voice, synthesize))) == 1  # type: ignore[arg-type]
    assert synthesize.calls == 2
