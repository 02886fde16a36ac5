"""Per-call state shared by the agent, its tools and the escalation policy (session userdata)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agent.escalation.policy import Escalation, EscalationPolicy, FailureReason, Trigger

if TYPE_CHECKING:
    from livekit.agents import Agent

    from agent.turns.barge_in_gate import BargeInGate

HandoffFactory = Callable[[Escalation, str], "Agent"]
"""(escalation, what to say first) -> the agent that takes the call to a person."""


@dataclass
class TransferAttempt:
    """One offer of the call to one human, and how it ended (docs/operator-protocol.md)."""

    tier: str
    operator: str
    outcome: str
    """answered, declined, no_answer, busy, caller_hung_up or failed."""
    reason: str = ""
    started_at: float = 0.0
    ended_at: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"tier": self.tier, "operator": self.operator, "outcome": self.outcome, "reason": self.reason}


@dataclass
class CallState:
    call_id: str
    """Stable id of this call (the LiveKit job id); part of every idempotency key."""
    room: str = ""
    transport: str = "web"
    """"web" or "sip"."""
    caller_phone: str | None = None
    """Caller ID in E.164 when the call came over SIP."""
    verified_customer_id: str | None = None
    """Set once the caller is verified (caller-ID match or a verification answer)."""
    candidate_customer_id: str | None = None
    """Found by a spoken phone number: known, but not yet verified."""
    customer: dict[str, Any] | None = None
    """What find_customer found (id, name, phone, zip, verified), for a human's brief."""
    policy: EscalationPolicy = field(default_factory=EscalationPolicy)
    outcome: str | None = None
    """Set by what actually happened: "transferred" once a human answered and joined, "voicemail"
    once a callback was stored. Otherwise telemetry derives completed / caller_hung_up."""
    transfer_attempts: list[TransferAttempt] = field(default_factory=list)
    transcript: list[tuple[str, str]] = field(default_factory=list)
    """(role, text) pairs, for warm transfer and callbacks."""
    handoff: HandoffFactory | None = None
    """Builds the agent that takes the call to a person (the worker sets it; text tests may not)."""
    on_escalation: Callable[[Escalation], None] | None = None
    """Called when the policy decides outside a tool (failed turns): starts the handoff."""
    barge_in_gate: BargeInGate | None = None
    """Holds this call's reply while the caller makes a sound (the session sets it; text tests don't)."""

    @property
    def failed_turns(self) -> int:
        return self.policy.consecutive_failed

    def record_failed_turn(self, reason: FailureReason | str, detail: str = "") -> None:
        self.policy.turn_failed(FailureReason(reason), detail)

    def request_escalation(self, trigger: Trigger | str, reason: str = "") -> Escalation | None:
        return self.policy.request(Trigger(trigger), reason or str(trigger))
