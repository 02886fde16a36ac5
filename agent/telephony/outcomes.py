"""SIP final responses as the transfer protocol's typed outcomes (docs/operator-protocol.md)."""

from __future__ import annotations

from livekit import api

from agent.escalation.human_line import Outcome

_BUSY = {486, 600}
_NO_ANSWER = {408, 480, 487}
_DECLINED = {403, 603}


def outcome_for_status(code: int | None) -> Outcome:
    """486/600 busy; 408/480/487 rang out; 403/603 refused; anything else failed."""
    if code in _BUSY:
        return Outcome.BUSY
    if code in _NO_ANSWER:
        return Outcome.NO_ANSWER
    if code in _DECLINED:
        return Outcome.DECLINED
    return Outcome.FAILED


def outcome_for_error(error: Exception) -> tuple[Outcome, str]:
    """The outcome of a failed dial or REFER, and a short reason for the brief and the logs."""
    if isinstance(error, api.SipCallError):
        code = error.sip_status_code
        reason = (
            f"SIP {code} {error.sip_status or ''}".strip()
            if code
            else (error.sip_transfer_reason or error.message)
        )
        if code is None and (error.sip_transfer_reason or "").endswith("RINGING_TIMEOUT"):
            return Outcome.NO_ANSWER, reason
        return outcome_for_status(code), reason
    if isinstance(error, api.TwirpError):
        if error.code == api.TwirpErrorCode.DEADLINE_EXCEEDED:
            return Outcome.NO_ANSWER, "rang out"
        return Outcome.FAILED, f"{error.code}: {error.message}"[:120]
    return Outcome.FAILED, str(error)[:120]
