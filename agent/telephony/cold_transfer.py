"""Cold transfer for phone callers: livekit-sip REFERs the call to the business's number, and we leave."""

from __future__ import annotations

import logging
from collections.abc import Callable

from livekit import api
from livekit.agents import Agent, get_job_context

from agent.call_state import CallState, TransferAttempt
from agent.config import Settings
from agent.escalation.human_line import Outcome
from agent.escalation.policy import Escalation
from agent.escalation.transfer import call_span, record_attempt
from agent.livekit_api import transfer_sip_participant
from agent.telephony.outcomes import outcome_for_error

logger = logging.getLogger("voice_agent.telephony")

TRANSFERRING = "I'm transferring your call now. Please stay on the line."


class ColdTransfer(Agent):
    """Says one line, asks the server to REFER the caller, and ends the job once the phone accepted;
    a refused REFER falls back to the warm transfer."""

    def __init__(
        self,
        *,
        escalation: Escalation,
        opening: str,
        settings: Settings,
        caller_identity: str,
        warm: Callable[[Escalation, str], Agent] | None,
    ) -> None:
        super().__init__(instructions="You are handing the caller to a person.", llm=None)
        self._escalation = escalation
        self._opening = opening
        self._settings = settings
        self._caller_identity = caller_identity
        self._warm = warm

    async def on_enter(self) -> None:
        state: CallState = self.session.userdata
        self.session.input.set_audio_enabled(False)
        if self._opening:
            await self.session.say(self._opening, allow_interruptions=False)
        await self.session.say(TRANSFERRING, allow_interruptions=False)
        target = self._settings.sip_cold_transfer_to
        try:
            await transfer_sip_participant(self._settings, state.room, self._caller_identity, target)
        except (api.TwirpError, OSError) as exc:
            outcome, reason = outcome_for_error(exc)
            record_attempt(
                state, TransferAttempt("phone", target, outcome.value, reason), call_span(self.session)
            )
            if self._warm is not None:
                self.session.input.set_audio_enabled(True)
                self.session.update_agent(self._warm(self._escalation, ""))
            return
        record_attempt(
            state,
            TransferAttempt("phone", target, Outcome.ANSWERED.value, "SIP REFER"),
            call_span(self.session),
        )
        state.outcome = "transferred"
        get_job_context().shutdown(reason="cold transfer by SIP REFER")
