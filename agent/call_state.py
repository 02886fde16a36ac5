"""Per-call state shared by the agent, its tools and the escalation policy (session userdata)."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    failed_turns: int = 0
    escalation_requested: str | None = None
    """"human" or "emergency" once the call should go to a person."""
    outcome: str | None = None
    """Final outcome when the call's own logic knows it: "transferred" or "voicemail". Otherwise
    telemetry derives completed / transferred / caller_hung_up when the session closes."""
    transcript: list[tuple[str, str]] = field(default_factory=list)
    """(role, text) pairs, for warm transfer and callbacks."""

    def record_failed_turn(self, reason: str) -> None:
        self.failed_turns += 1

    def request_escalation(self, reason: str) -> None:
        self.escalation_requested = self.escalation_requested or reason
