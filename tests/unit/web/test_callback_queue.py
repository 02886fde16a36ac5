"""The console's callback queue over HTTP: the list, the recording, and nothing outside the voicemail folder."""

from __future__ import annotations

import datetime as dt
import wave
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from agent.config import Settings, load_settings
from tools.sqlite_store import SQLiteBackend
from web.app import create_app

SECRET = "console-secret-for-tests"
AUTH = {"Authorization": f"Bearer {SECRET}"}


def _recording(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x01\x00" * 16000)
    return path


async def _seed(settings: Settings, *, audio: Path | None, key: str) -> str:
    start = dt.datetime(2026, 12, 3, 8, 0)
    stored = await SQLiteBackend(settings.store_path).schedule_callback(
        key=key,
        phone="+13125550198",
        window_start=start,
        window_end=start + dt.timedelta(hours=4),
        reason="voicemail",
        context="{}",
        message="My water heater is banging.",
        message_audio=str(audio) if audio else "",
    )
    return stored.value.callback_id


async def test_the_queue_lists_callbacks_and_plays_their_recordings(tmp_path: Path) -> None:
    settings = load_settings(env_file=None, data_dir=tmp_path / "data", operator_console_secret=SECRET)
    recorded = await _seed(settings, audio=_recording(settings.voicemail_dir / "a.wav"), key="k1")
    # a row whose recording path points outside the voicemail folder is never served
    stray = await _seed(settings, audio=_recording(tmp_path / "elsewhere.wav"), key="k2")
    async with TestClient(TestServer(create_app(settings))) as client:
        listed = await client.get("/api/operator/callbacks", headers=AUTH)
        rows = {row["callback_id"]: row for row in (await listed.json())["callbacks"]}
        assert rows[recorded]["message"] == "My water heater is banging."
        assert (
            rows[recorded]["phone"] == "+13125550198" and rows[recorded]["window_start"] == "2026-12-03T08:00"
        )
        assert "message_audio" not in rows[recorded]  # paths on this machine stay here
        audio = await client.get(rows[recorded]["audio_url"], headers=AUTH)
        assert audio.status == 200 and audio.headers["Content-Type"] == "audio/wav"
        assert (await audio.read())[:4] == b"RIFF"
        assert (await client.get(rows[stray]["audio_url"], headers=AUTH)).status == 404
        assert (await client.get("/api/operator/callbacks/nope/audio", headers=AUTH)).status == 404
        assert (await client.get(rows[recorded]["audio_url"])).status == 401


async def test_an_empty_store_is_an_empty_queue(tmp_path: Path) -> None:
    settings = load_settings(env_file=None, data_dir=tmp_path / "fresh", operator_console_secret=SECRET)
    async with TestClient(TestServer(create_app(settings))) as client:
        listed = await client.get("/api/operator/callbacks", headers=AUTH)
        assert listed.status == 200 and (await listed.json()) == {"callbacks": []}
