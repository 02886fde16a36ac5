"""Pipelined synthesis: each piece is requested as soon as it is split off, and heard in order."""

from __future__ import annotations

import asyncio
import itertools

import numpy as np
import pytest
from livekit.agents import tts

from agent.replies.pipelined_tts import PipelinedTTS
from tests.unit.replies.scripted_voice import ScriptedVoice


def tag(frame_data: memoryview | bytes) -> int:
    return int(np.frombuffer(bytes(frame_data), dtype=np.uint8)[0])


async def speak(engine: tts.TTS, chunks: list[str], *, gap_s: float = 0.0) -> list[int]:
    stream = engine.stream()

    async def _feed() -> None:
        for chunk in chunks:
            stream.push_text(chunk)
            await asyncio.sleep(gap_s)
        stream.end_input()

    feeder = asyncio.create_task(_feed())
    tags = [tag(audio.frame.data) async for audio in stream]
    await feeder
    await stream.aclose()
    return tags


async def test_a_later_sentence_is_requested_before_the_first_has_finished() -> None:
    voice = ScriptedVoice(first_audio_s=0.2, frames=3)
    tags = await speak(PipelinedTTS(voice), ["Sure thing. ", "Your visit is on Monday. ", "Anything else?"])
    texts = [text for text, _ in voice.requests]
    assert texts == ["Sure thing.", "Your visit is on Monday.", "Anything else?"]
    # all three were in flight together: the second was asked for before the first audio was whole
    first_done = voice.finished[0][1]
    assert voice.requests[1][1] < first_done and voice.requests[2][1] < first_done
    # and the caller hears them in the reply's order, whatever order they finished in
    # (the emitter re-frames the audio and pads a piece's end with silence, tagged 0)
    assert [key for key, _ in itertools.groupby(t for t in tags if t)] == [1, 2, 3]


async def test_livekits_own_adapter_waits_for_each_sentence() -> None:
    """The behaviour PipelinedTTS replaces: if this starts failing, LiveKit pipelines by itself."""
    voice = ScriptedVoice(first_audio_s=0.05, frames=2)
    await speak(tts.StreamAdapter(tts=voice), ["Sure thing, I can do that. ", "Your visit is on Monday."])
    assert len(voice.requests) == 2
    assert voice.requests[1][1] >= voice.finished[0][1]


async def test_the_first_clause_goes_out_before_its_sentence_ends() -> None:
    voice = ScriptedVoice(first_audio_s=0.01, frames=1)
    await speak(PipelinedTTS(voice), ["I have Saturday open, ", "with Sam, our plumber."], gap_s=0.05)
    assert [text.strip() for text, _ in voice.requests] == ["I have Saturday open,", "with Sam, our plumber."]


async def test_a_failed_piece_fails_the_reply() -> None:
    voice = ScriptedVoice(first_audio_s=0.01, frames=1, fail_on="Monday")
    with pytest.raises(Exception, match=r"scripted failure|failed"):
        await speak(PipelinedTTS(voice), ["Sure thing. ", "Your visit is on Monday. ", "Anything else?"])
