"""Wires the energy gate into a session: taps the caller's audio, holds the reply's output.

The tap sits in the Agent's `stt_node` (the caller's audio as the STT gets it, whatever the
provider); the hold is a link above the room's audio output (`agent/turns/gated_output.py`),
installed once the session has its outputs.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

import numpy as np
from livekit import rtc
from livekit.agents import AgentSession, AgentStateChangedEvent

from agent.turns.backchannel_filter import reply_in_flight
from agent.turns.energy_gate import EnergyGate, GateSettings
from agent.turns.gated_output import GatedAudioOutput


class BargeInGate:
    def __init__(
        self, session: AgentSession, settings: GateSettings, *, acknowledgement_max_s: float
    ) -> None:
        self._session = session
        self._settings = settings
        self._gate = EnergyGate(settings)
        self._acknowledgement_max_s = acknowledgement_max_s
        self.output: GatedAudioOutput | None = None
        session.on("agent_state_changed", self._on_agent_state)

    def _on_agent_state(self, event: AgentStateChangedEvent) -> None:
        # the session has its room output once it leaves "initializing", before any reply plays
        if self.output is None and event.old_state == "initializing":
            self.install()

    def install(self) -> None:
        current = self._session.output.audio
        if current is None or not current.can_pause or isinstance(current, GatedAudioOutput):
            return
        self.output = GatedAudioOutput(
            current, acknowledgement_max_s=self._acknowledgement_max_s, may_hold=self._may_hold
        )
        self._session.output.audio = self.output

    def _may_hold(self) -> bool:
        """Only a reply LiveKit itself would pause for the caller: playing, interruptible, past AEC warm-up."""
        session = self._session
        warming_up = session._aec_warmup_remaining > 0 and session._aec_warmup_timer is not None
        return session.agent_state == "speaking" and reply_in_flight(session) and not warming_up

    def release(self) -> None:
        self._gate = EnergyGate(self._settings)
        if self.output is not None:
            self.output.caller_sound(False)

    def feed(self, frame: rtc.AudioFrame) -> None:
        samples = np.frombuffer(frame.data, dtype=np.int16)
        if frame.num_channels > 1:
            samples = samples[:: frame.num_channels]  # the first channel is enough to hear a voice
        for sounding in self._gate.push(samples, frame.sample_rate):
            if self.output is not None:
                self.output.caller_sound(sounding)


async def tap_caller_audio(
    audio: AsyncIterable[rtc.AudioFrame], gate: BargeInGate | None
) -> AsyncIterator[rtc.AudioFrame]:
    """`audio`, unchanged, fed on its way to the call's gate (if it has one)."""
    try:
        async for frame in audio:
            if gate is not None:
                gate.feed(frame)
            yield frame
    finally:
        if gate is not None:
            # another Agent takes the audio (a handoff): what this tap opened must not hold forever
            gate.release()
