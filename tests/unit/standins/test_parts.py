"""Profiles, scripts, faults and the energy detector: the stand-ins' small parts."""

from __future__ import annotations

import random

import numpy as np
import pytest

from evals.standins.energy import EnergyDetector
from evals.standins.faults import FaultBoard, FaultError, parse_fault
from evals.standins.profiles import ProfileError, Span, load_profile, profile_names
from evals.standins.script import Script, ScriptError, read_script
from tests.unit.standins.conftest import tone


def test_every_shipped_profile_loads_and_the_cloud_one_is_daily_s_gpt_4_1() -> None:
    names = profile_names()
    assert {"zero", "cloud", "cloud-p50", "cloud-p95"} <= set(names)
    for name in names:
        load_profile(name)
    cloud = load_profile("cloud")
    assert (cloud.llm_first_token_ms.p50, cloud.llm_first_token_ms.p95) == (683, 1052)
    with pytest.raises(ProfileError):
        load_profile("nope")


def test_delays_follow_their_p50_and_p95_reproducibly() -> None:
    span = Span(683, 1052)
    rng = random.Random(7)
    samples = sorted(span.sample(rng) for _ in range(4000))
    again = random.Random(7)
    assert samples == sorted(span.sample(again) for _ in range(4000))
    assert samples[2000] == pytest.approx(683, rel=0.05)
    assert samples[3800] == pytest.approx(1052, rel=0.07)
    slower = sorted(Span(90, 60).sample(rng) for _ in range(4000))  # a rate: its p95 is the lower
    assert slower[2000] == pytest.approx(90, rel=0.05) and slower[200] == pytest.approx(60, rel=0.07)
    assert Span(5, 5).sample(rng) == 5
    assert 0 <= Span(0, 10).sample(rng) <= 10


def test_faults_parse_and_switch() -> None:
    board = FaultBoard()
    assert board.get("llm") == "none"
    board.set(*parse_fault("LLM:slow-drip"))
    assert board.get("llm") == "slow-drip"
    for bad in ("llm", "llm:", "disk:hang", "tts:melt"):
        with pytest.raises(FaultError):
            parse_fault(bad)


def test_scripts_read_from_text_or_json_and_cursors_wrap(tmp_path) -> None:
    text = tmp_path / "s.txt"
    text.write_text("# comment\n  Hello   there. \n\nBye.\n")
    assert read_script(text) == ["Hello there.", "Bye."]
    as_json = tmp_path / "s.json"
    as_json.write_text('["One.", "Two."]')
    script = Script(read_script(as_json))
    cursor, other = script.cursor(), script.cursor()
    assert [cursor.next_text() for _ in range(3)] == ["One.", "Two.", "One."]
    assert other.next_text() == "One."
    for bad in ("", "[1, 2]", "[unclosed"):
        (tmp_path / "bad").write_text(bad)
        with pytest.raises(ScriptError):
            read_script(tmp_path / "bad")


def test_energy_finds_onset_and_end_and_bridges_short_pauses() -> None:
    rate = 16000
    quiet = np.zeros(int(0.2 * rate), np.int16)
    pause = np.zeros(int(0.24 * rate), np.int16)  # an eSpeak comma
    audio = np.concatenate(
        [quiet, tone(0.5, rate), pause, tone(0.5, rate), np.zeros(int(0.5 * rate), np.int16)]
    )
    detector = EnergyDetector(rate, end_silence_ms=300)
    events = [
        event
        for start in range(0, audio.size, 800)
        for event in detector.push(audio[start : start + 800].tobytes())
    ]
    assert [event.kind for event in events] == ["onset", "end"]
    assert events[0].audio_s == pytest.approx(0.2, abs=0.03)
    assert events[1].audio_s == pytest.approx(0.2 + 0.5 + 0.24 + 0.5, abs=0.03)


def test_quiet_audio_is_not_speech() -> None:
    detector = EnergyDetector(16000, end_silence_ms=300)
    assert detector.push(tone(1.0, 16000, level=100).tobytes()) == []
