"""The reply is held while the caller makes a sound; an acknowledgement-length sound releases it
even though LiveKit's own pause is still in force, a longer one leaves LiveKit's pause to the words."""

from __future__ import annotations

from livekit import rtc
from livekit.agents.voice import io

from agent.turns.gated_output import GatedAudioOutput


class _Sink(io.AudioOutput):
    def __init__(self) -> None:
        super().__init__(label="sink", capabilities=io.AudioOutputCapabilities(pause=True), sample_rate=24000)
        self.calls: list[str] = []

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)

    def flush(self) -> None:
        super().flush()

    def clear_buffer(self) -> None:
        self.calls.append("clear")

    def pause(self) -> None:
        self.calls.append("pause")

    def resume(self) -> None:
        self.calls.append("resume")


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _gated(*, playing: bool = True) -> tuple[GatedAudioOutput, _Sink, _Clock]:
    sink, clock = _Sink(), _Clock()
    out = GatedAudioOutput(sink, acknowledgement_max_s=1.0, may_hold=lambda: playing, clock=clock)
    return out, sink, clock


def test_an_acknowledgement_is_held_then_released_before_livekit_resumes() -> None:
    out, sink, clock = _gated()
    out.caller_sound(True)
    assert sink.calls == ["pause"]
    out.pause()  # Silero said "speech" ~0.1 s later: LiveKit pauses too
    clock.now = 0.5
    out.caller_sound(False)  # a 0.5 s "uh-huh" is over
    assert sink.calls == ["pause", "resume"]
    out.resume()  # LiveKit's own resume, ~0.2 s later, changes nothing
    assert sink.calls == ["pause", "resume"]


def test_a_caller_taking_the_floor_stays_held_until_livekit_settles_it() -> None:
    out, sink, clock = _gated()
    out.caller_sound(True)
    out.pause()
    clock.now = 1.4
    out.caller_sound(False)  # longer than any acknowledgement: their words decide
    assert sink.calls == ["pause"]
    out.clear_buffer()  # their final transcript ended the reply
    assert sink.calls == ["pause", "clear"]


def test_a_second_sound_holds_the_released_reply_again() -> None:
    out, sink, clock = _gated()
    out.caller_sound(True)
    out.pause()
    clock.now = 0.4
    out.caller_sound(False)
    clock.now = 0.7
    out.caller_sound(True)  # "Sorry, stop." ... "I need a plumber"
    assert sink.calls == ["pause", "resume", "pause"]
    clock.now = 2.0
    out.caller_sound(False)
    assert sink.calls == ["pause", "resume", "pause"]  # 1.3 s of sound: LiveKit's pause holds


def test_nothing_is_held_when_no_reply_plays() -> None:
    out, sink, _ = _gated(playing=False)
    out.caller_sound(True)
    out.caller_sound(False)
    assert sink.calls == []


def test_livekit_alone_still_pauses_and_resumes() -> None:
    # a sound the gate did not catch (below its threshold) is Silero's, as before
    out, sink, _ = _gated()
    out.pause()
    out.resume()
    assert sink.calls == ["pause", "resume"]


def test_a_sound_only_silero_hears_pauses_the_reply_as_before() -> None:
    out, sink, clock = _gated()
    out.caller_sound(True)
    clock.now = 0.2
    out.caller_sound(False)
    out.pause()  # Silero starts on a soft voice after the gate closed
    assert sink.calls == ["pause", "resume", "pause"]


def test_a_sound_while_livekit_still_counts_the_reply_paused_is_held() -> None:
    # LiveKit's state says "listening" until its own resume, but the gate released the reply
    out, sink, clock = _gated(playing=False)
    out.pause()
    out.caller_sound(True)
    clock.now = 0.3
    out.caller_sound(False)
    assert sink.calls == ["pause", "resume"]
    clock.now = 0.4
    out.caller_sound(True)
    assert sink.calls == ["pause", "resume", "pause"]
