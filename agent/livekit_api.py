"""Tokens, rooms and dispatch on the LiveKit server API: the one place that mints a token."""

from __future__ import annotations

import datetime as dt
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
