"""Tokens, rooms, dispatch and SIP calls on the LiveKit server API: the one place that mints a token."""

from __future__ import annotations

import datetime as dt
import secrets
from urllib.parse import urlparse

from livekit import api

from agent.config import Settings

CALLER_TOKEN_TTL = dt.timedelta(hours=2)
OPERATOR_TOKEN_TTL = dt.timedelta(hours=12)
"""A shift: the operator client stays signed in to the lobby for as long as it runs."""
CALL_ROOM_TOKEN_TTL = dt.timedelta(minutes=5)
"""An accepted transfer's join ticket: used within seconds, useless after."""

OPERATOR_ROLE_ATTRIBUTE = "voice.role"
"""Set to "operator" on a human who joins a caller's room, so the agent tells them from the caller."""


def http_url(url: str) -> str:
    """The server API's URL for a signal URL (ws:// becomes http://)."""
    parsed = urlparse(url)
    scheme = {"ws": "http", "wss": "https"}.get(parsed.scheme, parsed.scheme)
    return parsed._replace(scheme=scheme).geturl()


def server_api(settings: Settings) -> api.LiveKitAPI:
    return api.LiveKitAPI(
        url=http_url(settings.livekit_url),
        api_key=settings.livekit_api_key,
        api_secret=settings.livekit_api_secret.get_secret_value(),
    )


def _token(settings: Settings) -> api.AccessToken:
    return api.AccessToken(settings.livekit_api_key, settings.livekit_api_secret.get_secret_value())


def _lobby_grants(settings: Settings, *, can_publish: bool) -> api.VideoGrants:
    # data for the RPCs, own attributes for status and the line; audio only for the agent's brief
    return api.VideoGrants(
        room_join=True,
        room=settings.operator_lobby_room,
        can_publish=can_publish,
        can_publish_data=True,
        can_subscribe=True,
        can_update_own_metadata=True,
    )


def caller_token(settings: Settings, room_name: str, identity: str) -> str:
    return (
        _token(settings)
        .with_identity(identity)
        .with_name("Caller")
        .with_ttl(CALLER_TOKEN_TTL)
        .with_grants(api.VideoGrants(room_join=True, room=room_name))
        .to_jwt()
    )


def operator_lobby_token(settings: Settings, identity: str, *, name: str, tier: str) -> str:
    """Signs an operator in to the lobby: they publish nothing there, and only hear the briefs
    that agents allow them to (track permissions), and they keep their own status attribute."""
    return (
        _token(settings)
        .with_identity(identity)
        .with_name(name)
        .with_ttl(OPERATOR_TOKEN_TTL)
        .with_attributes({"voice.operator.tier": tier, "voice.operator.status": "signing_in"})
        .with_grants(_lobby_grants(settings, can_publish=False))
        .to_jwt()
    )


def agent_lobby_token(settings: Settings, identity: str, *, attributes: dict[str, str]) -> str:
    """The call's agent in the lobby, to offer the call and speak the brief."""
    return (
        _token(settings)
        .with_identity(identity)
        .with_name("Voice agent")
        .with_kind("agent")
        .with_ttl(CALLER_TOKEN_TTL)
        .with_attributes(attributes)
        .with_grants(_lobby_grants(settings, can_publish=True))
        .to_jwt()
    )


def call_room_token(settings: Settings, room_name: str, identity: str, *, name: str) -> str:
    """An accepted operator's way into the caller's room; minted only after they accepted."""
    return (
        _token(settings)
        .with_identity(identity)
        .with_name(name)
        .with_ttl(CALL_ROOM_TOKEN_TTL)
        .with_attributes({OPERATOR_ROLE_ATTRIBUTE: "operator"})
        .with_grants(api.VideoGrants(room_join=True, room=room_name, can_publish=True, can_subscribe=True))
        .to_jwt()
    )


async def dispatch_agent(settings: Settings, room_name: str, *, metadata: str = "") -> str:
    """Ask the server for one more agent job in an existing room; the dispatch's id."""
    lkapi = server_api(settings)
    try:
        dispatch = await lkapi.agent_dispatch.create_dispatch(
            api.CreateAgentDispatchRequest(agent_name=settings.agent_name, room=room_name, metadata=metadata)
        )
        return dispatch.id
    finally:
        await lkapi.aclose()


async def dispatch_jobs(settings: Settings, room_name: str, dispatch_id: str) -> int | None:
    """How many jobs a worker took for the dispatch; None once the dispatch is gone.

    The server offers a dispatch to each worker once and drops it when every one refuses,
    without telling anyone: a dispatch with no job shortly after it was made was dropped."""
    lkapi = server_api(settings)
    try:
        for dispatch in await lkapi.agent_dispatch.list_dispatch(room_name=room_name):
            if dispatch.id == dispatch_id:
                return len(dispatch.state.jobs)
        return None
    finally:
        await lkapi.aclose()


async def cancel_dispatch(settings: Settings, room_name: str, dispatch_id: str) -> None:
    lkapi = server_api(settings)
    try:
        await lkapi.agent_dispatch.delete_dispatch(dispatch_id, room_name)
    finally:
        await lkapi.aclose()


async def create_room_and_dispatch(settings: Settings, room_name: str, *, empty_timeout: int = 30) -> None:
    """Create the room and dispatch our agent to it (LiveKit's explicit dispatch)."""
    lkapi = server_api(settings)
    try:
        await lkapi.room.create_room(api.CreateRoomRequest(name=room_name, empty_timeout=empty_timeout))
        await lkapi.agent_dispatch.create_dispatch(
            api.CreateAgentDispatchRequest(agent_name=settings.agent_name, room=room_name)
        )
    finally:
        await lkapi.aclose()


WEB_CALLER_ROOM_PREFIX = "web-"
WEB_CALLER_DEPARTURE_TIMEOUT_S = 5
"""A web call's room closes this soon after its last participant left (the server's default is 20 s)."""


def new_web_call_room() -> str:
    """A fresh, unguessable room for one browser call: callers never choose or share rooms."""
    return f"{WEB_CALLER_ROOM_PREFIX}{secrets.token_hex(8)}"


def web_caller_token(
    settings: Settings, room_name: str, identity: str, *, name: str, ttl: dt.timedelta
) -> str:
    """A browser caller's ticket to one room: microphone only, no data or attribute writes (so a page
    cannot pose as an operator or a phone line), and our agent dispatched as the room is created."""
    return (
        _token(settings)
        .with_identity(identity)
        .with_name(name)
        .with_ttl(ttl)
        .with_grants(
            api.VideoGrants(
                room_join=True,
                room=room_name,
                can_publish=True,
                can_publish_sources=["microphone"],
                can_subscribe=True,
                can_publish_data=False,
                can_update_own_metadata=False,
            )
        )
        .with_room_config(
            api.RoomConfiguration(
                agents=[api.RoomAgentDispatch(agent_name=settings.agent_name)],
                departure_timeout=WEB_CALLER_DEPARTURE_TIMEOUT_S,
            )
        )
        .to_jwt()
    )


async def transfer_sip_participant(
    settings: Settings, room_name: str, identity: str, transfer_to: str
) -> None:
    """Cold transfer: livekit-sip sends the caller's phone a SIP REFER to `transfer_to` (tel: or sip:)."""
    lkapi = server_api(settings)
    try:
        await lkapi.sip.transfer_sip_participant(
            api.TransferSIPParticipantRequest(
                room_name=room_name,
                participant_identity=identity,
                transfer_to=transfer_to,
                play_dialtone=False,
            )
        )
    finally:
        await lkapi.aclose()


async def outbound_trunk_id(settings: Settings, name: str) -> str | None:
    """The id of the outbound trunk `sip setup` made (by name), or None when there is none."""
    lkapi = server_api(settings)
    try:
        listed = await lkapi.sip.list_outbound_trunk(api.ListSIPOutboundTrunkRequest())
        return next((trunk.sip_trunk_id for trunk in listed.items if trunk.name == name), None)
    finally:
        await lkapi.aclose()


async def dial_phone(
    settings: Settings,
    *,
    trunk_id: str,
    number: str,
    room_name: str,
    identity: str,
    attributes: dict[str, str],
    ring_timeout_s: float,
) -> api.SIPParticipantInfo:
    """Ring a phone through the outbound trunk into `room_name`; returns once it answers.

    Raises livekit.api.SipCallError with the SIP status when the far end refuses (busy, declined)."""
    lkapi = server_api(settings)
    try:
        return await lkapi.sip.create_sip_participant(
            api.CreateSIPParticipantRequest(
                sip_trunk_id=trunk_id,
                sip_call_to=number,
                room_name=room_name,
                participant_identity=identity,
                participant_name=identity,
                participant_attributes=attributes,
                wait_until_answered=True,
                ringing_timeout=dt.timedelta(seconds=ring_timeout_s),
            ),
            timeout=ring_timeout_s + 10,
        )
    finally:
        await lkapi.aclose()


def phone_leg_token(settings: Settings, room_name: str, identity: str) -> str:
    """The agent's seat in a warm transfer's phone room: it speaks the brief, then bridges audio."""
    return (
        _token(settings)
        .with_identity(identity)
        .with_name("Voice agent")
        .with_kind("agent")
        .with_ttl(CALLER_TOKEN_TTL)
        .with_grants(api.VideoGrants(room_join=True, room=room_name, can_publish=True, can_subscribe=True))
        .to_jwt()
    )


async def delete_room(settings: Settings, room_name: str) -> None:
    """Ends a room and every participant in it (a phone in it gets a BYE); a missing room is fine."""
    lkapi = server_api(settings)
    try:
        await lkapi.room.delete_room(api.DeleteRoomRequest(room=room_name))
    except api.TwirpError:
        pass
    finally:
        await lkapi.aclose()
