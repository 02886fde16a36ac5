"""Answering-machine detection on a transfer leg: a greeting that talks on is a machine, not a person."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

SPEECH_DBFS = -40.0
MACHINE_SPEECH_S = 2.5
"""People answer with a word or two ("Hello?", "Alice speaking"); a recorded greeting talks on."""
HUMAN_SILENCE_S = 0.9
"""After a short hello a person waits for the other side: this much quiet says "person"."""
GAP_S = 0.35
"""Pauses between a greeting's words, shorter than this, do not end its speech."""


class Verdict(StrEnum):
    UNDECIDED = "undecided"
    HUMAN = "human"
    MACHINE = "machine"


@dataclass
class AnsweringMachineDetector:
    """Fed the answered leg's audio levels, frame by frame; decides once."""

    verdict: Verdict = Verdict.UNDECIDED
    _speech_s: float = 0.0
    _quiet_s: float = 0.0
    _heard_any: bool = False

    def feed(self, level_dbfs: float, duration_s: float) -> Verdict:
        if self.verdict is not Verdict.UNDECIDED:
            return self.verdict
        if level_dbfs >= SPEECH_DBFS:
            self._heard_any = True
            # a short pause inside a greeting still counts as the same stretch of speech
            self._speech_s += duration_s + (self._quiet_s if self._quiet_s < GAP_S else 0.0)
            self._quiet_s = 0.0
            if self._speech_s >= MACHINE_SPEECH_S:
                self.verdict = Verdict.MACHINE
            return self.verdict
        self._quiet_s += duration_s
        if self._quiet_s >= GAP_S:
            self._speech_s = 0.0
        if self._heard_any and self._quiet_s >= HUMAN_SILENCE_S:
            self.verdict = Verdict.HUMAN
        return self.verdict
