"""The command line fails on bad input with one line and exit code 2, never a traceback."""

import subprocess
import sys
import wave
from pathlib import Path

import pytest


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    import os

    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEKIT_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "agent.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=Path(__file__).resolve().parents[2],
    )


def assert_one_line_error(result: subprocess.CompletedProcess, fragment: str) -> None:
    assert result.returncode == 2, result
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "command", [[], ["--help"], ["worker", "--help"], ["call", "--help"], ["dev", "--help"]]
)
def test_help_and_missing_command(command: list[str]) -> None:
    result = run_cli(*command)
    if command:
        assert result.returncode == 0 and "usage:" in result.stdout
    else:
        assert_one_line_error(result, "required")


def test_unknown_command() -> None:
    assert_one_line_error(run_cli("fly"), "invalid choice")


def test_worker_with_bad_url_exits_2() -> None:
    assert_one_line_error(run_cli("worker", env={"LIVEKIT_URL": "not a url"}), "LIVEKIT_URL")


def test_worker_with_short_secret_exits_2() -> None:
    assert_one_line_error(run_cli("worker", env={"LIVEKIT_API_SECRET": "short"}), "LIVEKIT_API_SECRET")


def test_call_with_bad_url_exits_2() -> None:
    assert_one_line_error(run_cli("call", "--say", "hi", "--url", "ftp://x"), "LIVEKIT_URL")


def test_call_with_missing_wav_exits_2(tmp_path: Path) -> None:
    assert_one_line_error(run_cli("call", "--wav", str(tmp_path / "nope.wav")), "WAV file not found")


def test_call_with_a_non_wav_file_exits_2(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.wav"
    bogus.write_text("this is not audio")
    assert_one_line_error(run_cli("call", "--wav", str(bogus)), "not a readable PCM WAV")


def test_call_with_negative_timeout_exits_2() -> None:
    assert_one_line_error(run_cli("call", "--timeout", "-3"), "--timeout")


def test_call_to_an_unreachable_server_exits_2(tmp_path: Path) -> None:
    from agent.livekit_server import free_tcp_port

    wav = tmp_path / "hi.wav"
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x00\x00" * 1600)
    port = free_tcp_port()
    result = run_cli("call", "--wav", str(wav), "--url", f"ws://127.0.0.1:{port}")
    assert_one_line_error(result, "cannot reach the LiveKit server")
