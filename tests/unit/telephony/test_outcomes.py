"""SIP final responses map to the transfer protocol's typed outcomes."""

from __future__ import annotations

import pytest
from livekit import api

from agent.escalation.human_line import Outcome
from agent.telephony.outcomes import outcome_for_error, outcome_for_status


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (486, Outcome.BUSY),
        (600, Outcome.BUSY),
        (408, Outcome.NO_ANSWER),
        (480, Outcome.NO_ANSWER),
        (487, Outcome.NO_ANSWER),
        (603, Outcome.DECLINED),
        (403, Outcome.DECLINED),
        (500, Outcome.FAILED),
        (None, Outcome.FAILED),
    ],
)
def test_status_codes(code: int | None, outcome: Outcome) -> None:
    assert outcome_for_status(code) is outcome


def test_a_sip_call_error_carries_its_status() -> None:
    error = api.SipCallError(
        "unavailable", "busy", status=503, metadata={"sip_status_code": "486", "sip_status": "Busy Here"}
    )
    assert outcome_for_error(error) == (Outcome.BUSY, "SIP 486 Busy Here")


def test_a_ringing_timeout_is_no_answer() -> None:
    error = api.SipCallError(
        "deadline_exceeded", "", status=504, metadata={"sip_transfer_reason": "STR_RINGING_TIMEOUT"}
    )
    assert outcome_for_error(error)[0] is Outcome.NO_ANSWER
