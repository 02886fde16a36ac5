"""One scripted caller of the crowd: joins, waits for the greeting, says its lines, times each reply."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

import numpy as np
from livekit import api, rtc

from agent.config import Settings
from agent.livekit_api import caller_token, create_room_and_dispatch
from evals.load.ear_hub import Ear, EarHub
from evals.load.mic_ticker import Microphone, MicTicker
from evals.load.sweep import CallResult

OVERFLOW_MARK = "overflow"
"""A participant whose identity, name or attributes say this is the overflow queue, not the agent."""
WAITING_LINE_TRACK = "waiting-line"
"""The track the worker's waiting line plays its busy message on (agent/overflow/held_call.py): it
joins with the job's own agent token, so only its track tells it from the agent."""


@dataclass(frozen=True)
class Line:
    """One thing the caller says: its text and its frames, synthesized once for the whole sweep."""

    text: str
    frames: list[np.ndarray]


@dataclass(frozen=True)
class Crowd:
    """What every caller of a level shares: settings, the ear hub and the microphone ticker."""

    settings: Settings
    hub: EarHub
    ticker: MicTicker
    timeout_s: float


def is_overflow(participant: rtc.RemoteParticipant, track_name: str = "") -> bool:
    """The overflow queue rather than the agent: by the participant, or by the track it plays."""
    if WAITING_LINE_TRACK in track_name:
        return True
    texts = [participant.identity, participant.name, *participant.attributes.values()]
    return any(OVERFLOW_MARK in text.lower() for text in texts)


async def _first_heard(agent: Ear, overflow: Ear, after: float, timeout: float) -> tuple[str, float] | None:
    """Who spoke first after `after`: the agent or the overflow queue, and when."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        for who, ear in (("agent", agent), ("overflow", overflow)):
            onset = ear.onset_after(after)
            if onset is not None:
                return who, onset
        await asyncio.sleep(0.02)
    return None


async def place_scripted_call(crowd: Crowd, lines: list[Line]) -> CallResult:
    """Call the agent, say each line after the previous reply, and time the replies at our ear."""
    room_name = f"load-{uuid.uuid4().hex[:10]}"
    try:
        await create_room_and_dispatch(crowd.settings, room_name)
    except (api.TwirpError, TimeoutError, OSError) as exc:
        return CallResult("lost", detail=f"dispatch failed: {exc}")
    room = rtc.Room()
    agent_ear, overflow_ear, mic = Ear(), Ear(), Microphone()
    streams: list[int] = []
    agent_joined = asyncio.Event()

    @room.on("participant_connected")
    def _on_participant(participant: rtc.RemoteParticipant) -> None:
        if participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT and not is_overflow(participant):
            agent_joined.set()

    @room.on("track_subscribed")
    def _on_track(
        track: rtc.Track, _pub: rtc.RemoteTrackPublication, participant: rtc.RemoteParticipant
    ) -> None:
        if track.kind != rtc.TrackKind.KIND_AUDIO:
            return
        if is_overflow(participant, track.name):
            streams.append(crowd.hub.listen(track, overflow_ear))
        elif participant.kind == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT:
            agent_joined.set()
            streams.append(crowd.hub.listen(track, agent_ear))

    try:
        token = caller_token(crowd.settings, room_name, f"caller-{uuid.uuid4().hex[:6]}")
        try:
            await room.connect(crowd.settings.livekit_url, token)
        except rtc.ConnectError as exc:
            return CallResult("lost", detail=f"cannot join: {exc}")
        joined_at = time.perf_counter()
        track = rtc.LocalAudioTrack.create_audio_track("microphone", mic.source)
        await room.local_participant.publish_track(
            track, rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
        )
        crowd.ticker.add(mic)
        return await _converse(crowd, lines, agent_ear, overflow_ear, mic, joined_at, agent_joined)
    finally:
        crowd.ticker.remove(mic)
        for handle in streams:
            crowd.hub.close_stream(handle)
        await room.disconnect()
        await mic.source.aclose()


async def _converse(
    crowd: Crowd,
    lines: list[Line],
    agent_ear: Ear,
    overflow_ear: Ear,
    mic: Microphone,
    joined_at: float,
    agent_joined: asyncio.Event,
) -> CallResult:
    heard = await _first_heard(agent_ear, overflow_ear, joined_at, crowd.timeout_s)
    if heard is None:
        if agent_joined.is_set():
            return CallResult("lost", detail="the agent joined but never greeted")
        return CallResult("refused", detail="the agent never joined")
    who, greeted_at = heard
    if who == "overflow":
        return CallResult("refused", detail="the overflow queue answered")
    result = CallResult("answered", greeting_ms=round((greeted_at - joined_at) * 1000, 1))
    await agent_ear.wait_until_quiet(crowd.timeout_s)
    for index, line in enumerate(lines):
        speech_end = await mic.speak(line.frames)
        onset = await agent_ear.wait_for_onset_after(speech_end, crowd.timeout_s)
        if onset is None:
            result.outcome = "lost"
            result.detail = f"turn {index + 1} ({line.text!r}) was never answered"
            return result
        result.turns_answered += 1
        if onset == speech_end:
            # the agent was already audible as the line ended (a late sentence or filler of the last
            # reply, or an answer to half the line): no reply start to time, so none is made up
            result.overlapped_turns += 1
        else:
            result.round_trips_ms.append(round((onset - speech_end) * 1000, 1))
        if index < len(lines) - 1:  # the last reply is timed already: hang up as it starts
            await agent_ear.wait_until_quiet(crowd.timeout_s)
    return result
