"""The agent's end of the operator protocol (docs/operator-protocol.md): the lobby, offers, the
brief only the accepting human hears, and the join ticket into the caller's room."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from livekit import api, rtc

from agent.config import Settings
from agent.escalation.roster import parse_roster
from agent.livekit_api import agent_lobby_token, server_api

logger = logging.getLogger("voice_agent.escalation")

TIER_ATTRIBUTE = "voice.operator.tier"
STATUS_ATTRIBUTE = "voice.operator.status"
QUEUE_PRIORITY_ATTRIBUTE = "voice.queue.priority"
QUEUE_SINCE_ATTRIBUTE = "voice.queue.since"
OFFER_METHOD = "voice.transfer.offer"
CONNECT_METHOD = "voice.transfer.connect"
CANCEL_METHOD = "voice.transfer.cancel"
AGENT_IDENTITY_PREFIX = "transfer-"
BRIEF_TRACK = "brief"
CONNECT_REPLY_TIMEOUT_S = 5.0
SUBSCRIBE_WAIT_S = 5.0


class Outcome(StrEnum):
    ANSWERED = "answered"
    DECLINED = "declined"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    CALLER_HUNG_UP = "caller_hung_up"
    FAILED = "failed"


@dataclass(frozen=True)
class Operator:
    identity: str
    tier: str
    name: str
    available: bool


class HumanLine:
    """One call's connection to the lobby where people on duty wait for offers."""

    def __init__(self, settings: Settings, *, call_id: str, priority: int) -> None:
        self._settings = settings
        self._roster = parse_roster(settings.operator_roster)
        self.identity = f"{AGENT_IDENTITY_PREFIX}{call_id}"
        self._priority = priority
        self._since = round(time.time(), 3)  # as the attribute carries it, so both sides compare alike
        self._room = rtc.Room()
        self._source: rtc.AudioSource | None = None
        self._left: dict[str, asyncio.Event] = {}
        self._subscribed: dict[str, asyncio.Event] = {}

    async def open(self, *, brief_sample_rate: int) -> None:
        self._since = round(time.time(), 3)  # in line from now, as the attribute carries it
        token = agent_lobby_token(
            self._settings,
            self.identity,
            attributes={
                QUEUE_PRIORITY_ATTRIBUTE: str(self._priority),
                QUEUE_SINCE_ATTRIBUTE: f"{self._since:.3f}",
            },
        )
        self._room.on("participant_disconnected", self._on_left)
        self._room.on("local_track_subscribed", self._on_subscribed)
        await self._room.connect(self._settings.livekit_url, token, rtc.RoomOptions(auto_subscribe=False))
        # the brief is for the one human who accepts: until then nobody may subscribe to it
        self._room.local_participant.set_track_subscription_permissions(allow_all_participants=False)
        self._source = rtc.AudioSource(brief_sample_rate, 1)
        track = rtc.LocalAudioTrack.create_audio_track(BRIEF_TRACK, self._source)
        await self._room.local_participant.publish_track(
            track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        )

    def _on_left(self, participant: rtc.RemoteParticipant) -> None:
        self._left.setdefault(participant.identity, asyncio.Event()).set()

    def _on_subscribed(self, _track: rtc.Track) -> None:
        # the SDK does not say who subscribed; only the named human is allowed to, so it was them
        for event in self._subscribed.values():
            event.set()

    # --- who is there ---------------------------------------------------------------

    async def anyone_signed_in(self) -> bool:
        """Asked of the server API before joining the lobby: tens of ms, so a caller with nobody to
        reach hears so at once, and one with somebody hears the hold message at once."""
        lkapi = server_api(self._settings)
        try:
            listed = await lkapi.room.list_participants(
                api.ListParticipantsRequest(room=self._settings.operator_lobby_room)
            )
        except api.TwirpError as exc:
            if exc.status == 404 or "not found" in exc.message.lower():
                return False  # no lobby room: nobody has signed in since the server started
            raise
        finally:
            await lkapi.aclose()
        present = [(p.identity, dict(p.attributes), p.name) for p in listed.participants]
        return bool(self._in_order(present))

    def signed_in(self, tier: str | None = None) -> list[Operator]:
        """Operators in the lobby, in offer order (the roster's, else the order they signed in)."""
        present = [(p.identity, dict(p.attributes), p.name) for p in self._room.remote_participants.values()]
        return [o for o in self._in_order(present) if tier is None or o.tier == tier]

    def _in_order(self, present_raw: list[tuple[str, dict[str, str], str]]) -> list[Operator]:
        present = [
            Operator(
                identity=identity,
                tier=attributes.get(TIER_ATTRIBUTE, ""),
                name=name or identity,
                available=attributes.get(STATUS_ATTRIBUTE) == "available",
            )
            for identity, attributes, name in present_raw
            if attributes.get(TIER_ATTRIBUTE)
        ]
        if self._roster:
            by_identity = {o.identity: o for o in present}
            present = [
                Operator(e.identity, e.tier, by_identity[e.identity].name, by_identity[e.identity].available)
                for e in self._roster
                if e.identity in by_identity
            ]
        return present

    def calls_ahead(self) -> int:
        """Waiting calls to be served before this one: emergencies first, then the longest waiting."""
        mine = (-self._priority, self._since, self.identity)
        ahead = 0
        for p in self._room.remote_participants.values():
            if not p.identity.startswith(AGENT_IDENTITY_PREFIX):
                continue
            try:
                theirs = (
                    -int(p.attributes.get(QUEUE_PRIORITY_ATTRIBUTE, "0")),
                    float(p.attributes[QUEUE_SINCE_ATTRIBUTE]),
                    p.identity,
                )
            except (KeyError, ValueError):
                continue
            ahead += theirs < mine
        return ahead

    # --- the offer ------------------------------------------------------------------

    async def offer(self, operator: Operator, payload: dict[str, Any]) -> tuple[Outcome, str]:
        """Rings one human for up to the ring timeout: their decision, or why there was none."""
        self._left.pop(operator.identity, None)
        try:
            reply = await self._room.local_participant.perform_rpc(
                destination_identity=operator.identity,
                method=OFFER_METHOD,
                payload=json.dumps(payload),
                response_timeout=self._settings.ring_timeout_s,
            )
        except rtc.RpcError as exc:
            codes = rtc.RpcError.ErrorCode
            if exc.code == codes.RESPONSE_TIMEOUT:
                return Outcome.NO_ANSWER, f"no answer in {self._settings.ring_timeout_s:.0f} s"
            if exc.code in (codes.RECIPIENT_DISCONNECTED, codes.RECIPIENT_NOT_FOUND):
                return Outcome.FAILED, "the operator left"
            if exc.code == codes.UNSUPPORTED_METHOD:
                return Outcome.FAILED, "not an operator client"
            return Outcome.FAILED, exc.message[:120]
        try:
            decision = str(json.loads(reply).get("decision", ""))
        except (ValueError, AttributeError):
            decision = ""
        outcome = {"accept": Outcome.ANSWERED, "decline": Outcome.DECLINED, "busy": Outcome.BUSY}.get(
            decision
        )
        if outcome is None:
            return Outcome.FAILED, "an answer the protocol does not know"
        return outcome, ""

    async def cancel(self, operator: Operator, offer_id: str, reason: str) -> None:
        """Stops a ringing offer (best effort: the operator may already be gone)."""
        with contextlib.suppress(rtc.RpcError, asyncio.TimeoutError):
            await self._room.local_participant.perform_rpc(
                destination_identity=operator.identity,
                method=CANCEL_METHOD,
                payload=json.dumps({"offer_id": offer_id, "reason": reason}),
                response_timeout=2.0,
            )

    async def brief(self, operator: Operator, frames: AsyncIterable[rtc.AudioFrame]) -> bool:
        """Speaks the brief to this human alone; False when they left before it ended."""
        assert self._source is not None
        left = self._left.setdefault(operator.identity, asyncio.Event())
        subscribed = self._subscribed.setdefault(operator.identity, asyncio.Event())
        self._room.local_participant.set_track_subscription_permissions(
            allow_all_participants=False,
            participant_permissions=[
                rtc.ParticipantTrackPermission(participant_identity=operator.identity, allow_all=True)
            ],
        )
        waiting = asyncio.ensure_future(left.wait())
        listening = asyncio.ensure_future(subscribed.wait())
        try:
            await asyncio.wait(
                {waiting, listening}, timeout=SUBSCRIBE_WAIT_S, return_when=asyncio.FIRST_COMPLETED
            )
            if left.is_set():
                return False
            async for frame in frames:
                if left.is_set():
                    return False
                await self._source.capture_frame(frame)
            await self._source.wait_for_playout()
            return not left.is_set()
        finally:
            waiting.cancel()
            listening.cancel()
            self._room.local_participant.set_track_subscription_permissions(allow_all_participants=False)

    async def connect(self, operator: Operator, *, offer_id: str, room: str, token: str) -> bool:
        """Hands the accepted human their ticket into the caller's room."""
        try:
            reply = await self._room.local_participant.perform_rpc(
                destination_identity=operator.identity,
                method=CONNECT_METHOD,
                payload=json.dumps(
                    {"offer_id": offer_id, "url": self._settings.livekit_url, "room": room, "token": token}
                ),
                response_timeout=CONNECT_REPLY_TIMEOUT_S,
            )
        except rtc.RpcError as exc:
            logger.info("operator did not take the join ticket", extra={"reason": exc.message[:120]})
            return False
        return reply.strip() in ("", '"ok"', "ok") or "ok" in reply

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._room.disconnect()
