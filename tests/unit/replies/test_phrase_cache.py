"""The phrase cache: stock phrases replay from disk with no request; anything about a caller is never kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.replies.phrase_cache import PhraseCacheTTS, is_keepable
from tests.unit.replies.scripted_voice import ScriptedVoice


@pytest.mark.parametrize(
    "text",
    ["Sure.", "What else can I help you with?", "Got it. I'm checking now.", "Let me see, one moment."],
)
def test_stock_phrases_are_keepable(text: str) -> None:
    assert is_keepable(text)


@pytest.mark.parametrize(
    "text",
    [
        "Your visit is at 9 a.m.",  # a time
        "Thanks, Dana.",  # a name
        "I have you at dana@example.com.",
        "Is that on Maple Street?",
        "",
        "word " * 40,  # too long to be a stock phrase
    ],
)
def test_anything_about_a_caller_is_not_kept(text: str) -> None:
    assert not is_keepable(text)


async def _say(engine: PhraseCacheTTS, text: str) -> bytes:
    async with engine.synthesize(text) as stream:
        return b"".join([bytes(audio.frame.data) async for audio in stream])


async def test_a_phrase_said_before_replays_in_a_new_process_without_a_request(tmp_path: Path) -> None:
    first_voice = ScriptedVoice(first_audio_s=0.01)
    first = PhraseCacheTTS(first_voice, directory=tmp_path, voice_settings="alloy")
    heard = await _say(first, "What else can I help you with?")
    assert len(first_voice.requests) == 1 and list(tmp_path.glob("*.npz"))

    # a new job process: nothing in memory, the file is read
    second_voice = ScriptedVoice(first_audio_s=0.01)
    second = PhraseCacheTTS(second_voice, directory=tmp_path, voice_settings="alloy")
    assert await _say(second, "What else can I help you with?") == heard
    assert second_voice.requests == [] and second.hits == 1


async def test_other_voice_settings_and_caller_details_go_to_the_voice(tmp_path: Path) -> None:
    voice = ScriptedVoice(first_audio_s=0.01)
    await _say(PhraseCacheTTS(voice, directory=tmp_path, voice_settings="alloy"), "Sure.")
    other = PhraseCacheTTS(voice, directory=tmp_path, voice_settings="nova")
    await _say(other, "Sure.")
    await _say(other, "Thanks, Dana.")
    await _say(other, "Thanks, Dana.")
    assert [text for text, _ in voice.requests] == ["Sure.", "Sure.", "Thanks, Dana.", "Thanks, Dana."]
    assert len(list(tmp_path.glob("*.npz"))) == 2


async def test_a_failed_synthesis_is_not_kept(tmp_path: Path) -> None:
    voice = ScriptedVoice(first_audio_s=0.01, fail_on="Sure")
    engine = PhraseCacheTTS(voice, directory=tmp_path, voice_settings="alloy")
    with pytest.raises(Exception, match=r"scripted failure|failed"):
        await _say(engine, "Sure.")
    assert list(tmp_path.glob("*.npz")) == []


async def test_a_torn_file_is_synthesized_again(tmp_path: Path) -> None:
    voice = ScriptedVoice(first_audio_s=0.01)
    engine = PhraseCacheTTS(voice, directory=tmp_path, voice_settings="alloy")
    (tmp_path / f"{engine.key('Sure.')}.npz").write_bytes(b"not a numpy file")
    assert await _say(engine, "Sure.")
    assert len(voice.requests) == 1
