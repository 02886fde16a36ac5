"""Answering-machine detection: a short hello is a person, a greeting that talks on is a machine."""

from __future__ import annotations

from agent.telephony.amd import AnsweringMachineDetector, Verdict

FRAME_S = 0.02
SPEECH, QUIET = -20.0, -70.0


def _feed(pattern: list[tuple[float, float]]) -> Verdict:
    detector = AnsweringMachineDetector()
    for level, seconds in pattern:
        for _ in range(round(seconds / FRAME_S)):
            detector.feed(level, FRAME_S)
    return detector.verdict


def test_a_short_hello_then_waiting_is_a_person() -> None:
    assert _feed([(QUIET, 0.4), (SPEECH, 0.6), (QUIET, 1.0)]) is Verdict.HUMAN


def test_a_long_greeting_with_short_pauses_is_a_machine() -> None:
    greeting = [(SPEECH, 0.7), (QUIET, 0.2)] * 4
    assert _feed([(QUIET, 0.3), *greeting]) is Verdict.MACHINE


def test_silence_alone_decides_nothing() -> None:
    assert _feed([(QUIET, 3.0)]) is Verdict.UNDECIDED
