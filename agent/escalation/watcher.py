"""Feeds the escalation policy from the session's events, and starts the handoff it decides on."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, AsyncIterator, Iterable

from livekit.agents import AgentSession, ConversationItemAddedEvent, llm, stt

from agent.call_state import CallState
from agent.escalation.policy import Escalation, FailureReason
from agent.turns.stt_finals import tap_finals

logger = logging.getLogger("voice_agent.escalation")


def watch_turns(session: AgentSession[CallState], state: CallState, *, fillers: Iterable[str] = ()) -> None:
    """Keeps the call's transcript, and closes each turn of the policy with the agent's reply."""
    skip = {text.strip() for text in fillers if text}

    @session.on("conversation_item_added")
    def _added(event: ConversationItemAddedEvent) -> None:
        item = event.item
        if item.type != "message" or not item.text_content:
            return
        text = item.text_content
        state.transcript.append((item.role, text))
        if item.role == "user":
            state.policy.caller_said(text)
        elif item.role == "assistant" and text.strip() not in skip:
            escalation = state.policy.agent_replied(text)
            if escalation is not None:
                _hand_off(session, state, escalation)


def _hand_off(session: AgentSession[CallState], state: CallState, escalation: Escalation) -> None:
    logger.info("escalating", extra={"trigger": escalation.trigger.value, "reason": escalation.reason})
    if state.handoff is None:
        return
    session.update_agent(state.handoff(escalation, ""))


def watch_llm_failover(adapter: object, state: CallState) -> None:
    """A primary LLM that goes unavailable makes the turn it happened in a failed one."""
    if not isinstance(adapter, llm.FallbackAdapter):
        return

    def _changed(event: object) -> None:
        if not getattr(event, "available", True):
            state.record_failed_turn(
                FailureReason.LLM_DEGRADED, getattr(getattr(event, "llm", None), "label", "")
            )

    adapter.on("llm_availability_changed", _changed)


def confidence_of_finals(
    events: AsyncIterable[stt.SpeechEvent | str], state: CallState
) -> AsyncIterator[stt.SpeechEvent | str]:
    """Passes the STT's events on, telling the policy how sure each final transcript was."""
    return tap_finals(events, lambda final: state.policy.heard_with_confidence(final.confidence))
