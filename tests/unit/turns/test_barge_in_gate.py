"""The gate is wired in once the session has its output, and the caller's audio reaches it on its
way to the STT, unchanged."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from livekit import rtc
from livekit.agents import AgentStateChangedEvent
from livekit.agents.voice import io

from agent.turns.barge_in_gate import BargeInGate, tap_caller_audio
from agent.turns.energy_gate import GateSettings
from agent.turns.gated_output import GatedAudioOutput
from tests.unit.turns.test_gated_output import _Sink

RATE = 16000


class _Session(rtc.EventEmitter[str]):
    def __init__(self) -> None:
        super().__init__()
        self.output = SimpleNamespace(audio=_Sink())
        self.agent_state = "speaking"
        self.current_speech = SimpleNamespace(done=lambda: False, allow_interruptions=True)
        self._aec_warmup_remaining = 0.0
        self._aec_warmup_timer = None


def _frames(samples: np.ndarray) -> list[rtc.AudioFrame]:
    step = RATE // 50
    return [
        rtc.AudioFrame(samples[i : i + step].tobytes(), RATE, 1, step) for i in range(0, samples.size, step)
    ]


async def _audio(frames: list[rtc.AudioFrame]):  # type: ignore[no-untyped-def]
    for frame in frames:
        yield frame


async def test_a_sound_over_a_reply_holds_it_and_its_end_releases_it() -> None:
    session = _Session()
    sink = session.output.audio
    gate = BargeInGate(session, GateSettings(), acknowledgement_max_s=1.0)  # type: ignore[arg-type]
    session.emit(
        "agent_state_changed", AgentStateChangedEvent(old_state="initializing", new_state="listening")
    )
    assert isinstance(session.output.audio, GatedAudioOutput) and gate.output is session.output.audio
    t = np.arange(int(0.4 * RATE)) / RATE
    voice = (3000 * np.sin(2 * np.pi * 200 * t)).astype(np.int16)
    samples = np.concatenate([np.zeros(RATE // 2, np.int16), voice, np.zeros(RATE // 2, np.int16)])
    frames = _frames(samples)
    passed = [frame async for frame in tap_caller_audio(_audio(frames), gate)]
    assert passed == frames
    assert sink.calls == ["pause", "resume"]


def test_an_output_that_cannot_pause_is_left_alone() -> None:
    session = _Session()

    class _NoPause(_Sink):
        def __init__(self) -> None:
            io.AudioOutput.__init__(self, label="x", capabilities=io.AudioOutputCapabilities(pause=False))

    session.output.audio = _NoPause()
    gate = BargeInGate(session, GateSettings(), acknowledgement_max_s=1.0)  # type: ignore[arg-type]
    gate.install()
    assert gate.output is None


async def test_a_tap_that_ends_mid_sound_releases_the_reply() -> None:
    session = _Session()
    sink = session.output.audio
    gate = BargeInGate(session, GateSettings(), acknowledgement_max_s=1.0)  # type: ignore[arg-type]
    gate.install()
    voice = (3000 * np.sin(2 * np.pi * 200 * np.arange(RATE // 5) / RATE)).astype(np.int16)
    frames = _frames(np.concatenate([np.zeros(RATE // 2, np.int16), voice]))
    _ = [frame async for frame in tap_caller_audio(_audio(frames), gate)]
    assert sink.calls == ["pause", "resume"]
