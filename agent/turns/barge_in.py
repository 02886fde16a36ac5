"""How long a reply paused by the caller's sound waits before it resumes, by how long they spoke.

LiveKit resumes a paused reply `false_interruption_timeout` after the caller goes quiet, unless a
final transcript ended it first. A short wait suits an "uh-huh": the reply is back within a few
hundred milliseconds. But a caller who talked longer than any acknowledgement ("Sorry, stop. I
need...") and pauses for breath must not hear the reply start again before their words are in:
for them the wait becomes `WORDS_WAIT_S`, in which their final transcript ends the reply.

LiveKit reads `session.options.interruption["false_interruption_timeout"]` afresh at each VAD
inference while the caller speaks, so the value is switched there (pinned by a unit test).
"""

from __future__ import annotations

import asyncio

from livekit.agents import AgentSession, UserStateChangedEvent

WORDS_WAIT_S = 1.2
"""Longer than a final transcript takes after the caller stops (offline Whisper: ~0.3-0.8 s)."""


class BargeInTimer:
    """Lengthens the resume wait once the caller has spoken longer than an acknowledgement."""

    def __init__(self, session: AgentSession, *, resume_s: float, acknowledgement_max_s: float) -> None:
        self._session = session
        self._resume_s = resume_s
        self._acknowledgement_max_s = acknowledgement_max_s
        self._lengthen: asyncio.TimerHandle | None = None
        session.on("user_state_changed", self._on_user_state)

    def _set_wait(self, seconds: float) -> None:
        self._session.options.interruption["false_interruption_timeout"] = seconds

    def _on_user_state(self, event: UserStateChangedEvent) -> None:
        if self._lengthen is not None:
            self._lengthen.cancel()
            self._lengthen = None
        if event.new_state == "speaking":
            self._set_wait(self._resume_s)
            self._lengthen = asyncio.get_running_loop().call_later(
                self._acknowledgement_max_s, self._set_wait, WORDS_WAIT_S
            )
