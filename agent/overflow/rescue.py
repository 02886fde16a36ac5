"""Calls whose agent died with its worker (SIGKILL, OOM): found by a stale heartbeat and handed to a
live worker, instead of leaving the caller in silence.

LiveKit's open-source server re-dispatches nothing when a worker dies, and it keeps the dead agent
in the room for about 20 s (measured: 21 s) before it drops it. So every agent participant keeps a
heartbeat attribute fresh, and every worker's main process sweeps the rooms for an agent whose
heartbeat stopped while a caller is still there: it removes the dead participant (that removal is
also the lock between two workers sweeping at once) and dispatches a new agent to the room.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from livekit import api, rtc

from agent.config import Settings
from agent.livekit_api import server_api

logger = logging.getLogger("voice_agent.rescue")

HEARTBEAT_ATTRIBUTE = "voice.alive_at"
HEARTBEAT_EVERY_S = 2.0
STALE_AFTER_S = 8.0
"""Four missed beats. Longer than any event-loop stall seen on a loaded 2-core machine, so a live
but busy agent is never taken for dead; shorter than the server's ~20 s, so the dead one is still
there to be found."""
SWEEP_EVERY_S = 2.0
RESCUE_METADATA_KEY = "voice.rescue"


async def keep_alive(participant: rtc.LocalParticipant) -> None:
    """Refresh this agent's heartbeat until cancelled."""
    while True:
        with contextlib.suppress(Exception):  # a room going away ends the call anyway
            await participant.set_attributes({HEARTBEAT_ATTRIBUTE: f"{time.time():.1f}"})
        await asyncio.sleep(HEARTBEAT_EVERY_S)


def is_rescue(job_metadata: str) -> bool:
    try:
        return RESCUE_METADATA_KEY in json.loads(job_metadata or "{}")
    except (ValueError, TypeError):
        return False


def _heartbeat(participant: api.ParticipantInfo) -> float | None:
    try:
        return float(participant.attributes[HEARTBEAT_ATTRIBUTE])
    except (KeyError, ValueError):
        return None


def dead_agents(participants: list[api.ParticipantInfo], *, now: float) -> list[str]:
    """Identities of agents whose heartbeat stopped, in a room with a caller and no live agent.

    A room with no agent at all is left alone: after a warm transfer the caller and the human talk
    on their own, by design."""
    agents = [p for p in participants if p.kind == api.ParticipantInfo.Kind.AGENT]
    callers = [
        p
        for p in participants
        if p.kind in (api.ParticipantInfo.Kind.STANDARD, api.ParticipantInfo.Kind.SIP)
        and p.attributes.get("voice.role") != "operator"
    ]
    if not callers:
        return []
    beats = {p.identity: _heartbeat(p) for p in agents}
    if any(beat is not None and now - beat < STALE_AFTER_S for beat in beats.values()):
        return []  # a live agent serves the room
    return [identity for identity, beat in beats.items() if beat is not None and now - beat >= STALE_AFTER_S]


class RescueSweeper:
    """Every SWEEP_EVERY_S, finds rooms whose agent died and asks the server for a new one."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._sweep_forever(), name="rescue-sweeper")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _sweep_forever(self) -> None:
        lkapi = server_api(self._settings)
        try:
            while True:
                await asyncio.sleep(SWEEP_EVERY_S)
                try:
                    await self.sweep(lkapi)
                except (api.TwirpError, OSError, TimeoutError) as exc:
                    logger.debug(
                        "rescue sweep failed; next one in %s s", SWEEP_EVERY_S, extra={"error": str(exc)}
                    )
        finally:
            await lkapi.aclose()

    async def sweep(self, lkapi: api.LiveKitAPI) -> int:
        """One pass over the rooms; how many calls were handed to a new agent."""
        rescued = 0
        rooms = await lkapi.room.list_rooms(api.ListRoomsRequest())
        for room in rooms.rooms:
            if room.num_participants < 1:  # the server's count leaves agents out: no caller here
                continue
            listing = await lkapi.room.list_participants(api.ListParticipantsRequest(room=room.name))
            dead = dead_agents(list(listing.participants), now=time.time())
            if dead and await self._rescue(lkapi, room.name, dead):
                rescued += 1
        return rescued

    async def _rescue(self, lkapi: api.LiveKitAPI, room_name: str, dead: list[str]) -> bool:
        try:
            for identity in dead:
                await lkapi.room.remove_participant(
                    api.RoomParticipantIdentity(room=room_name, identity=identity)
                )
        except api.TwirpError:
            return False  # another worker's sweep removed it first, and dispatches the new agent
        await lkapi.agent_dispatch.create_dispatch(
            api.CreateAgentDispatchRequest(
                agent_name=self._settings.agent_name,
                room=room_name,
                metadata=json.dumps({RESCUE_METADATA_KEY: {"dead_agents": len(dead)}}),
            )
        )
        logger.warning("an agent stopped answering mid-call: dispatched a new one", extra={"room": room_name})
        return True
