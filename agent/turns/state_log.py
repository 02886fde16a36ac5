"""Logs, at DEBUG, when the caller starts and stops speaking and when the agent's reply pauses or
resumes: the benchmark lines these up with what the caller heard to see where barge-in time goes."""

from __future__ import annotations

import logging
import time

from livekit.agents import AgentSession, AgentStateChangedEvent, UserStateChangedEvent

logger = logging.getLogger("agent.turns")


def log_state_changes(session: AgentSession) -> None:
    @session.on("user_state_changed")
    def _user(event: UserStateChangedEvent) -> None:
        logger.debug("caller state", extra={"state": event.new_state, "at": round(time.time(), 3)})

    @session.on("agent_state_changed")
    def _agent(event: AgentStateChangedEvent) -> None:
        logger.debug(
            "agent state",
            extra={"old": event.old_state, "state": event.new_state, "at": round(time.time(), 3)},
        )
