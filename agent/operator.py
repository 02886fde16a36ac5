"""`voice-agent operator`: a person on duty at a terminal (and the tests' human), on the operator
protocol (docs/operator-protocol.md): sign in, take or refuse offers, hear the brief, join the call."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from livekit import rtc

from agent.caller import Ear, Microphone, synthesize_utterance
from agent.config import Settings
from agent.escalation.human_line import (
    AGENT_IDENTITY_PREFIX,
    BRIEF_TRACK,
    CANCEL_METHOD,
    CONNECT_METHOD,
    OFFER_METHOD,
    STATUS_ATTRIBUTE,
)
from agent.livekit_api import operator_lobby_token

logger = logging.getLogger("voice_agent.operator")


@dataclass
class OperatorOptions:
    identity: str
    tier: str
    decision: str
    """accept, decline or ignore (let the offer ring out)."""
    say: list[str] = field(default_factory=list)
    once: bool = False
    name: str = ""


@dataclass
class OperatorReport:
    identity: str
    tier: str
    decision: str
    offers: list[dict[str, Any]] = field(default_factory=list)
    """Each offer as received: offer_id, priority, and the context packet."""
    cancelled: list[str] = field(default_factory=list)
    signed_in_at: float | None = None
    offer_received_at: float | None = None
    brief_heard_at: float | None = None
    """First audible sample of the spoken brief (unix time)."""
    brief_last_audible_at: float | None = None
    joined_call_at: float | None = None
    caller_heard_at: float | None = None
    """First audible sample from the caller's room that is not the agent (unix time)."""
    heard_by_caller_at: float | None = None
    """When the caller's side subscribed to our microphone (unix time)."""
    transfer_ended_at: float | None = None

    @property
    def two_way_audio_at(self) -> float | None:
        if self.caller_heard_at is None or self.heard_by_caller_at is None:
            return None
        return max(self.caller_heard_at, self.heard_by_caller_at)

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in vars(self).items()}
        data["two_way_audio_at"] = self.two_way_audio_at
        return data


def _unix(perf: float | None, offset: float) -> float | None:
    return None if perf is None else round(perf + offset, 4)


class OperatorClient:
    def __init__(self, settings: Settings, options: OperatorOptions, *, echo: bool = True) -> None:
        self._settings = settings
        self._options = options
        self._echo = echo
        self.report = OperatorReport(options.identity, options.tier, options.decision)
        self._lobby = rtc.Room()
        self._call: rtc.Room | None = None
        self._busy = False
        self._done = asyncio.Event()
        self._offset = time.time() - time.perf_counter()
        self._brief_ear = Ear()
        self._caller_ear = Ear()
        self._mic: Microphone | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._cancelled: dict[str, asyncio.Event] = {}
        self._offered_by: dict[str, str] = {}
        """Agent identity -> the offer of theirs still ringing here."""
        self.signed_in = asyncio.Event()
        self._heard_by_caller = asyncio.Event()

    def _say(self, line: str) -> None:
        # progress goes to stderr, so `--json` keeps stdout to the one report
        if self._echo:
            print(f"operator {self._options.identity}: {line}", file=sys.stderr, flush=True)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self) -> OperatorReport:
        lobby = self._lobby
        lobby.on("participant_disconnected", self._on_lobby_left)
        lobby.on("disconnected", self._on_signed_out)

        @lobby.on("track_subscribed")
        def _track(
            track: rtc.Track, _pub: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant
        ) -> None:
            from_agent = participant.identity.startswith(AGENT_IDENTITY_PREFIX)
            if track.kind == rtc.TrackKind.KIND_AUDIO and from_agent and _pub.name == BRIEF_TRACK:
                self._brief_ear.attach(track)

        token = operator_lobby_token(
            self._settings,
            self._options.identity,
            name=self._options.name or self._options.identity,
            tier=self._options.tier,
        )
        await lobby.connect(self._settings.livekit_url, token)
        lobby.local_participant.register_rpc_method(OFFER_METHOD, self._on_offer)
        lobby.local_participant.register_rpc_method(CONNECT_METHOD, self._on_connect)
        lobby.local_participant.register_rpc_method(CANCEL_METHOD, self._on_cancel)
        # available only now that offers can be answered
        await lobby.local_participant.set_attributes({STATUS_ATTRIBUTE: "available"})
        self.report.signed_in_at = round(time.time(), 4)
        self._say(
            f"signed in to {self._settings.operator_lobby_room} as {self._options.tier} tier; waiting for calls"
        )
        self.signed_in.set()
        try:
            await self._done.wait()
        finally:
            await self.aclose()
        return self.report

    def stop(self) -> None:
        self._done.set()

    # --- the protocol's three calls ----------------------------------------------

    async def _on_offer(self, data: rtc.RpcInvocationData) -> str:
        try:
            offer = json.loads(data.payload)
        except ValueError:
            raise rtc.RpcError(rtc.RpcError.ErrorCode.APPLICATION_ERROR, "the offer is not JSON") from None
        if self._busy:
            return json.dumps({"decision": "busy"})
        self.report.offers.append(offer)
        self.report.offer_received_at = round(time.time(), 4)
        packet = offer.get("packet", {})
        self._say(
            f"offer {offer.get('offer_id')}{' (EMERGENCY)' if offer.get('emergency') else ''}: "
            f"{packet.get('reason')}; intent {packet.get('intent')}; caller {packet.get('caller_number') or 'unknown'}"
        )
        decision = self._options.decision
        if decision == "ignore":
            offer_id = str(offer.get("offer_id"))
            self._offered_by[data.caller_identity] = offer_id
            cancelled = self._cancelled.setdefault(offer_id, asyncio.Event())
            await cancelled.wait()  # rings until the agent gives up (timeout), cancels, or leaves
            return json.dumps({"decision": "cancelled"})
        if decision == "decline":
            self._say("declined")
            if self._options.once:
                self._done.set()
            return json.dumps({"decision": "decline"})
        self._busy = True
        await self._lobby.local_participant.set_attributes({STATUS_ATTRIBUTE: "busy"})
        self._say("accepted; listening for the brief")
        return json.dumps({"decision": "accept"})

    async def _on_cancel(self, data: rtc.RpcInvocationData) -> str:
        with contextlib.suppress(ValueError):
            self._withdrawn(str(json.loads(data.payload).get("offer_id")))
        return "ok"

    def _withdrawn(self, offer_id: str) -> None:
        if offer_id in self.report.cancelled:
            return
        self.report.cancelled.append(offer_id)
        self._cancelled.setdefault(offer_id, asyncio.Event()).set()
        self._say(f"offer {offer_id} withdrawn")
        if self._options.once and self._options.decision == "ignore":
            self._done.set()

    def _on_signed_out(self, reason: object = None) -> None:
        # the server went away or removed us: a client that cannot take calls must not look on duty
        if not self._done.is_set():
            self._say(f"signed out by the server ({reason})")
            self._done.set()

    def _on_lobby_left(self, participant: rtc.RemoteParticipant) -> None:
        # an agent that left the lobby (its caller hung up, its worker died) withdrew its offer
        offer_id = self._offered_by.pop(participant.identity, None)
        if offer_id is not None and not self._cancelled.setdefault(offer_id, asyncio.Event()).is_set():
            self._withdrawn(offer_id)

    async def _on_connect(self, data: rtc.RpcInvocationData) -> str:
        try:
            ticket = json.loads(data.payload)
            url, token = str(ticket["url"]), str(ticket["token"])
        except (ValueError, KeyError):
            raise rtc.RpcError(
                rtc.RpcError.ErrorCode.APPLICATION_ERROR, "a ticket needs url and token"
            ) from None
        self._spawn(self._join_call(url, token))
        return "ok"

    # --- on the call ----------------------------------------------------------------

    async def _join_call(self, url: str, token: str) -> None:
        if self._brief_ear.onsets:
            self.report.brief_heard_at = _unix(self._brief_ear.onsets[0], self._offset)
            self.report.brief_last_audible_at = _unix(self._brief_ear.last_audible_at, self._offset)
        call = rtc.Room()
        self._call = call
        ended = asyncio.Event()

        @call.on("track_subscribed")
        def _track(
            track: rtc.Track, _pub: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant
        ) -> None:
            if (
                track.kind == rtc.TrackKind.KIND_AUDIO
                and participant.kind != rtc.ParticipantKind.PARTICIPANT_KIND_AGENT
            ):
                self._caller_ear.attach(track)

        @call.on("local_track_subscribed")
        def _heard(_track: rtc.Track) -> None:
            if self.report.heard_by_caller_at is None:
                self.report.heard_by_caller_at = round(time.time(), 4)
                self._heard_by_caller.set()

        @call.on("participant_disconnected")
        def _left(participant: rtc.RemoteParticipant) -> None:
            if participant.kind != rtc.ParticipantKind.PARTICIPANT_KIND_AGENT:
                ended.set()

        call.on("disconnected", lambda *_: ended.set())
        try:
            await call.connect(url, token)
        except rtc.ConnectError as exc:
            self._say(f"could not join the call: {exc}")
            await self._call_over()
            return
        self.report.joined_call_at = round(time.time(), 4)
        self._say(f"joined the call in room {call.name}")
        mic = Microphone()
        self._mic = mic
        track = rtc.LocalAudioTrack.create_audio_track("microphone", mic.source)
        await call.local_participant.publish_track(
            track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        )
        mic.start()
        self._spawn(self._speak_when_connected(mic, ended))
        self._spawn(self._note_caller_heard(ended))
        await ended.wait()
        await self._call_over()

    async def _note_caller_heard(self, ended: asyncio.Event) -> None:
        while not ended.is_set():
            if self._caller_ear.onsets:
                self.report.caller_heard_at = _unix(self._caller_ear.onsets[0], self._offset)
                self._say("hearing the caller")
                return
            await asyncio.sleep(0.01)

    async def _speak_when_connected(self, mic: Microphone, ended: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._heard_by_caller.wait(), 10)
        for text in self._options.say:
            if ended.is_set():
                return
            await mic.speak(synthesize_utterance(text).samples)
            await asyncio.sleep(0.6)

    async def _call_over(self) -> None:
        self.report.transfer_ended_at = round(time.time(), 4)
        self._say("the call ended")
        if self._mic is not None:
            await self._mic.aclose()
            self._mic = None
        if self._call is not None:
            with contextlib.suppress(Exception):
                await self._call.disconnect()
            self._call = None
        self._busy = False
        if self._options.once:
            self._done.set()
        else:
            with contextlib.suppress(Exception):
                await self._lobby.local_participant.set_attributes({STATUS_ATTRIBUTE: "available"})

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._mic is not None:
            await self._mic.aclose()
        await self._brief_ear.aclose()
        await self._caller_ear.aclose()
        for room in (self._call, self._lobby):
            if room is not None:
                with contextlib.suppress(Exception):
                    await room.disconnect()


def run_operator_command(settings: Settings, options: OperatorOptions, *, as_json: bool) -> int:
    logging.basicConfig(level=logging.WARNING, format="voice-agent operator: %(name)s: %(message)s")

    async def _main() -> OperatorReport:
        client = OperatorClient(settings, options)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, client.stop)
        try:
            return await client.run()
        except rtc.ConnectError as exc:
            raise OperatorError(f"cannot sign in at {settings.livekit_url}: {exc}") from None

    report = asyncio.run(_main())
    if as_json:
        json.dump(report.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    return 0


class OperatorError(Exception):
    """The operator client could not sign in; one line."""
