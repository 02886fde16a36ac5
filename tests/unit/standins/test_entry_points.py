"""The command line and `launch()`: one ready line, env for a worker, runtime faults, clean exits."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import pytest

from evals.standins import StandInError, launch
from evals.standins.process import REPO_ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evals.standins", *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--profile", "nope"],
        ["serve", "--fault", "llm"],
        ["serve", "--fault", "dns:hang"],
        ["serve", "--fault", "llm:explode"],
        ["serve", "--host", "0.0.0.0"],
        ["serve", "--script", "/nonexistent/script.txt"],
        ["serve", "--port", "70000"],
        ["serve", "--port", "many"],
        ["bogus"],
        [],
    ],
)
def test_bad_arguments_get_one_clear_line_and_exit_2(args: list[str]) -> None:
    result = _run(*args)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0] and "Traceback" not in result.stderr, result.stderr


def test_launch_serves_until_stopped_and_switches_faults_at_run_time(tmp_path) -> None:
    script = tmp_path / "script.txt"
    script.write_text("# what the caller says\nHello there.\n\nGoodbye.\n")
    with launch(
        profile="cloud-p50", faults=["tts:hang"], script=script, stderr=subprocess.DEVNULL
    ) as standins:
        assert standins.url.startswith("http://127.0.0.1:")
        assert standins.env == {
            "DEEPGRAM_API_KEY": "test-double",
            "DEEPGRAM_BASE_URL": f"{standins.url}/v1/listen",
            "OPENAI_API_KEY": "test-double",
            "OPENAI_BASE_URL": f"{standins.url}/v1",
        }
        state = standins.state()
        assert state["profile"] == "cloud-p50"
        assert state["faults"] == {"stt": "none", "llm": "none", "tts": "hang"}
        assert state["script"] == ["Hello there.", "Goodbye."]
        standins.set_fault("llm", "5xx")
        standins.set_fault("tts", "none")
        assert standins.state()["faults"] == {"stt": "none", "llm": "5xx", "tts": "none"}
        with pytest.raises(ValueError):
            standins.set_fault("llm", "explode")
        standins.set_script(["Only this."])
        assert standins.state()["script"] == ["Only this."]
        with urllib.request.urlopen(f"{standins.url}/v1/models", timeout=5) as response:
            assert json.loads(response.read())["object"] == "list"
    assert standins.process.returncode == 0  # SIGTERM is a clean exit


def test_launch_with_a_script_list_and_a_bad_profile() -> None:
    with launch(script=["One.", "Two."], stderr=subprocess.DEVNULL) as standins:
        assert standins.state()["script"] == ["One.", "Two."]
    with pytest.raises(StandInError):
        launch(profile="nope", stderr=subprocess.DEVNULL)
