"""The escalation policy: a small explicit state machine over turns, failures and requests."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class Trigger(StrEnum):
    FAILED_TURNS = "failed_turns"
    """Too many failed turns in a row."""
    CALLER_ASKED = "caller_asked"
    """The caller asked for a person."""
    MANAGER = "manager"
    """The caller asked for a manager or supervisor: the supervisor tier is tried first."""
    EMERGENCY = "emergency"
    """An emergency: transferred at once, at the front of the line."""


class FailureReason(StrEnum):
    TOOL_FAILED = "tool_failed"
    NOT_UNDERSTOOD = "not_understood"
    REPEATED_PROMPT = "repeated_prompt"
    LOW_STT_CONFIDENCE = "low_stt_confidence"
    LLM_DEGRADED = "llm_degraded"
    FRUSTRATION = "frustration"


@dataclass(frozen=True)
class Failure:
    reason: FailureReason
    detail: str = ""
    turn: int = 0


@dataclass(frozen=True)
class Escalation:
    trigger: Trigger
    reason: str
    """Why, in words fit for the human's brief (no caller PII: the packet carries that)."""
    emergency: bool = False
    first_tier: str = "first"

    @property
    def priority(self) -> int:
        """Higher goes first in the line of waiting calls."""
        return 1 if self.emergency else 0


_FRUSTRATION = re.compile(
    r"\b(i (already|just) (told|said|gave)|this is (useless|ridiculous|stupid|pointless)|"
    r"you('re| are) (not listening|useless|not helping)|not (helpful|helping)|"
    r"how many times|for the (second|third|last) time|are you even listening|waste of (my )?time)\b",
    re.I,
)
_MANAGER = re.compile(r"\b(manager|supervisor|someone in charge)\b", re.I)


def sounds_frustrated(text: str) -> bool:
    return bool(_FRUSTRATION.search(text))


def asks_for_manager(text: str) -> bool:
    return bool(_MANAGER.search(text))


def _normalised(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


@dataclass
class EscalationPolicy:
    """Counts failed turns and decides when the call goes to a person.

    A turn opens when the caller's words are committed and closes with the agent's reply. Any
    failure reported while it is open makes it a failed turn (once, with every reason kept);
    a turn with none resets the count. Requests for a person and emergencies decide at once.
    """

    failed_turns_to_transfer: int = 2
    low_confidence: float = 0.5
    consecutive_failed: int = 0
    failures: list[Failure] = field(default_factory=list)
    escalation: Escalation | None = None
    turns: int = 0
    _open: list[Failure] | None = None
    _last_prompt: str = ""
    _caller_spoke: bool = False

    def caller_said(self, text: str) -> None:
        """The caller's turn was committed: a new turn opens (an unclosed one is closed first).

        Failures reported just before this belong to this turn: LiveKit's preemptive generation
        runs the LLM on the final transcript, before the caller's message is committed."""
        if self._open is not None and self._caller_spoke:
            self._close()
        self.turns += 1
        self._open = self._open or []
        self._caller_spoke = True
        if sounds_frustrated(text):
            self.turn_failed(FailureReason.FRUSTRATION)

    def heard_with_confidence(self, confidence: float) -> None:
        """An STT final's confidence; 0 means the STT does not report one."""
        if 0.0 < confidence < self.low_confidence:
            self.turn_failed(FailureReason.LOW_STT_CONFIDENCE, f"{confidence:.2f}")

    def turn_failed(self, reason: FailureReason, detail: str = "") -> None:
        failure = Failure(reason, detail, self.turns)
        if self._open is None:
            # reported between turns (a provider outage seen while idle): it counts for the next one
            self._open = []
        if all(f.reason != reason for f in self._open):
            self._open.append(failure)

    def agent_replied(self, text: str) -> Escalation | None:
        """The agent's reply to the open turn ended; returns the escalation it triggers, if any."""
        prompt = _normalised(text)
        if self._open is not None and prompt and prompt == self._last_prompt and text.rstrip().endswith("?"):
            self.turn_failed(FailureReason.REPEATED_PROMPT)
        if prompt:
            self._last_prompt = prompt
        if self._open is None or not self._caller_spoke:
            return None
        return self._close()

    def request(self, trigger: Trigger, reason: str) -> Escalation | None:
        """An explicit request (a person, a manager, an emergency): decided now, once per call."""
        if self.escalation is not None:
            return None
        self.escalation = Escalation(
            trigger,
            reason,
            emergency=trigger is Trigger.EMERGENCY,
            first_tier="supervisor" if trigger is Trigger.MANAGER else "first",
        )
        return self.escalation

    def _close(self) -> Escalation | None:
        failures, self._open = self._open or [], None
        self._caller_spoke = False
        if not failures:
            self.consecutive_failed = 0
            return None
        self.failures.extend(failures)
        self.consecutive_failed += 1
        if self.consecutive_failed < self.failed_turns_to_transfer or self.escalation is not None:
            return None
        recent = ", ".join(sorted({f.reason.value.replace("_", " ") for f in self.failures[-4:]}))
        self.escalation = Escalation(
            Trigger.FAILED_TURNS, f"{self.consecutive_failed} failed turns in a row ({recent})"
        )
        return self.escalation
