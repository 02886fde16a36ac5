"""POST /api/token over real HTTP (no browser, no LiveKit server): shape, scope, expiry, refusals."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from livekit import api

from agent.config import Settings, load_settings
from web.app import create_app

SECRET = "console-secret-for-tests"


def _settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "agent_name": "voice-agent",
        "web_rate_limit_per_minute": 100,
        "web_token_ttl_s": 120,
        "web_allowed_origins": "https://shop.example.com",
        "operator_console_secret": SECRET,
    }
    values.update(overrides)
    return load_settings(env_file=None, **values)


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(_settings()))) as test_client:
        yield test_client


def _claims(settings: Settings, token: str) -> api.Claims:
    return api.TokenVerifier(settings.livekit_api_key, settings.livekit_api_secret.get_secret_value()).verify(
        token
    )


async def test_an_empty_body_gets_the_standard_shape_and_a_fresh_room(client: TestClient) -> None:
    first = await client.post("/api/token", json={})
    second = await client.post("/api/token")
    assert first.status == 201 and second.status == 201
    body = await first.json()
    assert body["server_url"] == "ws://127.0.0.1:7880"
    claims = _claims(_settings(), body["participant_token"])
    other = _claims(_settings(), (await second.json())["participant_token"])
    assert claims.video.room.startswith("web-") and claims.video.room != other.video.room
    assert claims.identity != other.identity


async def test_the_token_is_scoped_to_one_room_and_dispatches_our_agent(client: TestClient) -> None:
    reply = await client.post("/api/token", json={"participant_name": "Dana"})
    claims = _claims(_settings(), (await reply.json())["participant_token"])
    grants = claims.video
    assert grants.room_join and grants.room
    assert not grants.room_create and not grants.room_admin and not grants.room_list
    assert grants.can_publish_sources == ["microphone"]
    assert not grants.can_publish_data and not grants.can_update_own_metadata
    assert claims.name == "Dana"
    assert [a.agent_name for a in claims.room_config.agents] == ["voice-agent"]
    assert "secret" not in (await reply.text()).lower()


async def test_the_token_lives_minutes_not_hours(client: TestClient) -> None:
    reply = await client.post("/api/token", json={})
    token = (await reply.json())["participant_token"]
    import jwt

    payload = jwt.decode(token, options={"verify_signature": False})
    assert 110 <= payload["exp"] - time.time() <= 121


async def test_the_sdk_request_for_our_own_agent_is_served(client: TestClient) -> None:
    # what livekit-client's TokenSource.endpoint sends for fetch({agentName: "voice-agent"})
    reply = await client.post("/api/token", json={"room_config": {"agents": [{"agent_name": "voice-agent"}]}})
    assert reply.status == 201


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"room_name": "call-of-someone-else"}, 403, "field_not_allowed"),
        ({"participant_identity": "alice"}, 403, "field_not_allowed"),
        ({"participant_metadata": '{"admin": true}'}, 403, "field_not_allowed"),
        ({"participant_attributes": {"voice.role": "operator"}}, 403, "field_not_allowed"),
        ({"room_config": {"agents": [{"agent_name": "other-agent"}]}}, 403, "field_not_allowed"),
        (
            {"room_config": {"agents": [{"agent_name": "voice-agent", "metadata": "x"}]}},
            403,
            "field_not_allowed",
        ),
        ({"room_config": {"name": "call-x"}}, 403, "field_not_allowed"),
        ({"room_config": {"agents": [{}, {}]}}, 403, "field_not_allowed"),
        ({"participant_name": 42}, 400, "invalid_field"),
        ({"participant_name": "x" * 65}, 400, "invalid_field"),
        ({"participant_name": "bad\u0007name"}, 400, "invalid_field"),
        ({"room_config": "agents"}, 400, "invalid_field"),
        ({"participant_attributes": []}, 400, "invalid_field"),
        ({"is_admin": True}, 400, "unknown_field"),
        ([], 400, "invalid_body"),
        ("text", 400, "invalid_body"),
    ],
)
async def test_fields_a_browser_may_not_set_are_refused_in_json(
    client: TestClient, body: object, status: int, code: str
) -> None:
    reply = await client.post("/api/token", json=body)
    assert reply.status == status
    error = await reply.json()
    assert error["error"] == code and error["message"]


@pytest.mark.parametrize(
    ("data", "headers", "status", "code"),
    [
        (b"{not json", {"Content-Type": "application/json"}, 400, "invalid_json"),
        (b"\xff\xfe\x00", {"Content-Type": "application/json"}, 400, "invalid_json"),
        (b"[" * 6000, {"Content-Type": "application/json"}, 400, "invalid_json"),
        (
            b'{"participant_name": ' + b"[" * 3000 + b"]" * 3000 + b"}",
            {"Content-Type": "application/json"},
            400,
            "invalid_json",
        ),
        (b"{}", {"Content-Type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
        (b"{" + b" " * 20_000 + b"}", {"Content-Type": "application/json"}, 413, "body_too_large"),
    ],
)
async def test_malformed_bodies_get_a_json_4xx(
    client: TestClient, data: bytes, headers: dict[str, str], status: int, code: str
) -> None:
    reply = await client.post("/api/token", data=data, headers=headers)
    assert reply.status == status
    assert (await reply.json())["error"] == code


async def test_a_body_streamed_without_length_is_bounded_too(client: TestClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 1024

    reply = await client.post("/api/token", data=chunks(), headers={"Content-Type": "application/json"})
    assert reply.status == 413
    assert (await reply.json())["error"] == "body_too_large"


async def test_other_methods_get_a_json_405(client: TestClient) -> None:
    reply = await client.get("/api/token")
    assert reply.status == 405
    assert (await reply.json())["error"] == "method_not_allowed"


async def test_origins_outside_the_allow_list_are_refused(client: TestClient) -> None:
    refused = await client.post("/api/token", json={}, headers={"Origin": "https://evil.example.net"})
    assert refused.status == 403 and (await refused.json())["error"] == "origin_not_allowed"
    allowed = await client.post("/api/token", json={}, headers={"Origin": "https://shop.example.com"})
    assert allowed.status == 201
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    same = await client.post("/api/token", json={}, headers={"Origin": f"http://{client.host}:{client.port}"})
    assert same.status == 201


async def test_the_preflight_answers_allowed_origins_only(client: TestClient) -> None:
    ok = await client.options(
        "/api/token",
        headers={"Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert ok.status == 204 and ok.headers["Access-Control-Allow-Methods"] == "POST"
    refused = await client.options("/api/token", headers={"Origin": "https://evil.example.net"})
    assert refused.status == 403


async def test_a_client_over_its_rate_gets_429_with_retry_after() -> None:
    settings = _settings(web_rate_limit_per_minute=3)
    async with TestClient(TestServer(create_app(settings))) as limited:
        statuses = [(await limited.post("/api/token", json={})).status for _ in range(3)]
        over = await limited.post("/api/token", json={})
        assert statuses == [201, 201, 201]
        assert over.status == 429 and int(over.headers["Retry-After"]) >= 1
        assert (await over.json())["error"] == "rate_limited"
        # malformed requests spend the budget too: abuse is not free
        assert (await limited.post("/api/token", data=b"{")).status == 429


async def test_health_and_static_pages(client: TestClient) -> None:
    assert (await client.get("/healthz")).status == 200
    page = await client.get("/")
    assert page.status == 200 and "voice-agent-call" in await page.text()
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert (await client.get("/console")).status == 200
    missing = await client.get("/static/../agent/config.py")
    assert missing.status in (403, 404)
    ready = await client.get("/readyz")  # no LiveKit server in a unit test
    assert ready.status == 503 and "unreachable" in " ".join((await ready.json())["problems"])


async def test_console_sign_in_needs_the_secret(client: TestClient) -> None:
    wrong = await client.post("/api/operator/session", json={"identity": "alice", "secret": "nope"})
    assert wrong.status == 401 and (await wrong.json())["error"] == "bad_secret"
    bad_identity = await client.post("/api/operator/session", json={"identity": "a:b", "secret": SECRET})
    assert bad_identity.status == 400
    ok = await client.post(
        "/api/operator/session", json={"identity": "alice", "secret": SECRET, "tier": "first"}
    )
    assert ok.status == 201
    claims = _claims(_settings(), (await ok.json())["participant_token"])
    assert claims.video.room == "operators" and not claims.video.can_publish
    assert claims.attributes["voice.operator.tier"] == "first"
    assert (await client.get("/api/operator/callbacks")).status == 401
    listed = await client.get("/api/operator/callbacks", headers={"Authorization": f"Bearer {SECRET}"})
    assert listed.status == 200 and "callbacks" in await listed.json()


async def test_the_console_is_off_without_a_secret() -> None:
    async with TestClient(TestServer(create_app(_settings(operator_console_secret="")))) as off:
        reply = await off.post("/api/operator/session", json={"identity": "alice", "secret": ""})
        assert reply.status == 403 and (await reply.json())["error"] == "console_disabled"
