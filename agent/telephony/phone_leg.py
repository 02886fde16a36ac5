"""Warm transfer to a person's phone: ring it through the outbound trunk, brief them, take 1 or 2, bridge.

The open-source server cannot move participants between rooms, so the phone is rung into a room
of its own. The agent briefs the person there, and after a 1 it bridges audio between that room
and the caller's room (agent/escalation/transfer.py tries phones after the lobby's operators)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterable
from dataclasses import dataclass

import numpy as np
from livekit import api, rtc

from agent.config import Settings
from agent.escalation.human_line import Outcome
from agent.livekit_api import delete_room, dial_phone, outbound_trunk_id, phone_leg_token
from agent.telephony.amd import AnsweringMachineDetector, Verdict
from agent.telephony.outcomes import outcome_for_error
from agent.telephony.provisioning import OUTBOUND_TRUNK_NAME

logger = logging.getLogger("voice_agent.telephony")

PROMPT = "Press 1 to take this call, or 2 to decline."
BRIDGE_RATE = 16000
AMD_WINDOW_S = 4.0
"""The answering-machine check listens this long after the answer, while the brief starts."""


@dataclass(frozen=True)
class PhonePerson:
    identity: str
    number: str


def parse_phones(text: str) -> list[PhonePerson]:
    """SIP_OPERATOR_PHONES: "alice:+13125550100,bob:+13125550101", in the order they are tried."""
    people = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        identity, _, number = entry.partition(":")
        if not identity.strip() or not number.strip():
            raise ValueError(f"{entry!r}: expected NAME:NUMBER")
        people.append(PhonePerson(identity.strip(), number.strip()))
    return people


def _level_dbfs(frame: rtc.AudioFrame) -> float:
    samples = np.frombuffer(frame.data, dtype=np.int16).astype(np.float64)
    rms = float(np.sqrt(np.mean(np.square(samples)))) if samples.size else 0.0
    return 20.0 * np.log10(max(rms, 1e-6) / 32768.0)


class PhoneLeg:
    """One person's phone for one call: rung, briefed, asked; bridged to the caller when they accept."""

    def __init__(self, settings: Settings, *, call_id: str, person: PhonePerson, sample_rate: int) -> None:
        self._settings = settings
        self.person = person
        self.room_name = f"phone-{call_id}-{person.identity}"[:128]
        self.identity = f"phone-{person.identity}"
        self._room = rtc.Room()
        # at the TTS's rate, so the brief needs no resampling; the bridge resamples into it
        self._source = rtc.AudioSource(sample_rate, 1)
        self._keys: asyncio.Queue[str] = asyncio.Queue()
        self._gone = asyncio.Event()
        self._phone_track: asyncio.Future[rtc.Track] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def ring(self) -> tuple[Outcome, str]:
        """Rings until answered or refused; ANSWERED once a person (not a machine) picked up."""
        trunk_id = await outbound_trunk_id(self._settings, OUTBOUND_TRUNK_NAME)
        if trunk_id is None:
            return Outcome.FAILED, "no outbound trunk (run `voice-agent sip setup` with SIP_OUTBOUND_ADDRESS)"
        await self._join()
        try:
            await dial_phone(
                self._settings,
                trunk_id=trunk_id,
                number=self.person.number,
                room_name=self.room_name,
                identity=self.identity,
                attributes={"voice.role": "phone-operator"},
                ring_timeout_s=self._settings.ring_timeout_s,
            )
        except (api.TwirpError, OSError) as exc:
            return outcome_for_error(exc)
        return Outcome.ANSWERED, ""

    async def _join(self) -> None:
        loop = asyncio.get_running_loop()
        self._phone_track = loop.create_future()

        @self._room.on("track_subscribed")
        def _track(track: rtc.Track, _pub: rtc.RemoteTrackPublication, who: rtc.RemoteParticipant) -> None:
            waiting = self._phone_track is not None and not self._phone_track.done()
            if waiting and who.identity == self.identity and track.kind == rtc.TrackKind.KIND_AUDIO:
                self._phone_track.set_result(track)  # type: ignore[union-attr]

        @self._room.on("sip_dtmf_received")
        def _dtmf(dtmf: rtc.SipDTMF) -> None:
            self._keys.put_nowait(dtmf.digit)

        @self._room.on("participant_disconnected")
        def _left(who: rtc.RemoteParticipant) -> None:
            if who.identity == self.identity:
                self._gone.set()

        token = phone_leg_token(self._settings, self.room_name, f"agent-{self.identity}")
        await self._room.connect(self._settings.livekit_url, token)
        track = rtc.LocalAudioTrack.create_audio_track("agent", self._source)
        await self._room.local_participant.publish_track(
            track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        )

    async def brief_and_ask(self, brief: AsyncIterable[rtc.AudioFrame]) -> tuple[Outcome, str]:
        """Speaks the brief and the prompt while checking for an answering machine; then waits for a key."""
        assert self._phone_track is not None
        phone_track = await asyncio.wait_for(self._phone_track, 10)
        machine = asyncio.create_task(self._is_machine(phone_track))
        speaking = asyncio.create_task(self._play(brief))
        done, _ = await asyncio.wait({machine, speaking}, return_when=asyncio.FIRST_COMPLETED)
        if machine in done and machine.result():
            speaking.cancel()
            return Outcome.NO_ANSWER, "a voicemail greeting answered"
        await speaking
        machine.cancel()
        return await self._decision()

    async def _is_machine(self, track: rtc.Track) -> bool:
        detector = AnsweringMachineDetector()
        stream = rtc.AudioStream(track, sample_rate=BRIDGE_RATE, num_channels=1)
        listened = 0.0
        try:
            async for event in stream:
                duration = event.frame.samples_per_channel / event.frame.sample_rate
                listened += duration
                verdict = detector.feed(_level_dbfs(event.frame), duration)
                if verdict is not Verdict.UNDECIDED or listened >= AMD_WINDOW_S:
                    return verdict is Verdict.MACHINE
        finally:
            await stream.aclose()
        return False

    async def _play(self, frames: AsyncIterable[rtc.AudioFrame]) -> None:
        async for frame in frames:
            await self._source.capture_frame(frame)
        await self._source.wait_for_playout()

    async def _decision(self) -> tuple[Outcome, str]:
        while not self._keys.empty():
            self._keys.get_nowait()  # keys pressed during a voicemail greeting or the brief do not count
        gone = asyncio.ensure_future(self._gone.wait())
        try:
            while True:
                key = asyncio.ensure_future(self._keys.get())
                done, _ = await asyncio.wait(
                    {key, gone}, timeout=self._settings.ring_timeout_s, return_when=asyncio.FIRST_COMPLETED
                )
                if key not in done:
                    key.cancel()
                    if gone in done:
                        return Outcome.FAILED, "hung up during the brief"
                    return Outcome.NO_ANSWER, f"no key in {self._settings.ring_timeout_s:.0f} s"
                if key.result() == "1":
                    return Outcome.ANSWERED, ""
                if key.result() == "2":
                    return Outcome.DECLINED, "pressed 2"
        finally:
            gone.cancel()

    async def bridge(self, caller_room: rtc.Room, caller_identity: str) -> None:
        """Caller and person hear each other until either hangs up; then both rooms end."""
        assert self._phone_track is not None
        phone_track = self._phone_track.result()
        caller_source = rtc.AudioSource(BRIDGE_RATE, 1)
        published = await caller_room.local_participant.publish_track(
            rtc.LocalAudioTrack.create_audio_track(f"bridge-{self.person.identity}", caller_source),
            rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE),
        )
        caller = caller_room.remote_participants.get(caller_identity)
        caller_track = next(
            (p.track for p in (caller.track_publications.values() if caller else []) if p.track is not None),
            None,
        )
        self._tasks.append(asyncio.create_task(_pipe(phone_track, caller_source)))
        if caller_track is not None:
            self._tasks.append(asyncio.create_task(_pipe(caller_track, self._source)))
        logger.info("phone leg bridged", extra={"person": self.person.identity, "track": published.sid})
        await self._gone.wait()
        await delete_room(self._settings, caller_room.name)  # the person hung up: the call is over

    async def hang_up(self) -> None:
        for task in self._tasks:
            task.cancel()
        await delete_room(self._settings, self.room_name)
        with contextlib.suppress(Exception):
            await self._room.disconnect()


async def _pipe(track: rtc.Track, source: rtc.AudioSource) -> None:
    stream = rtc.AudioStream(track, sample_rate=source.sample_rate, num_channels=1)
    try:
        async for event in stream:
            await source.capture_frame(event.frame)
    finally:
        await stream.aclose()
