"""StandInProcess: the stand-ins (test doubles) in a subprocess, started in one line, stopped cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.request
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType

from evals.standins.faults import check_fault, parse_fault
from evals.standins.profiles import DEFAULT_PROFILE

REPO_ROOT = Path(__file__).resolve().parents[2]


class StandInError(RuntimeError):
    """The stand-in process did not start, or refused a control request; the message is one line."""


class StandInProcess:
    """A running `python -m evals.standins serve`: its `url`, the `env` a worker needs, and its controls."""

    def __init__(
        self, process: subprocess.Popen[str], url: str, env: dict[str, str], script_file: Path | None
    ) -> None:
        self.process = process
        self.url = url
        self.env = env
        self._script_file = script_file

    def _control(self, method: str, path: str, body: dict[str, object] | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the stand-ins' own http:// loopback URL
            f"{self.url}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - our loopback URL
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise StandInError(f"stand-ins refused {path}: {exc.read().decode(errors='replace')}") from None
        except OSError as exc:
            raise StandInError(f"stand-ins unreachable at {self.url}: {exc}") from None

    def set_fault(self, hop: str, kind: str) -> None:
        """Affects connections and requests that start from now on; "none" clears the hop."""
        check_fault(hop, kind)
        self._control("POST", "/control/fault", {"hop": hop, "kind": kind})

    def set_script(self, lines: Sequence[str]) -> None:
        self._control("POST", "/control/script", {"lines": list(lines)})

    def state(self) -> dict:
        """Profile, faults, script, per-hop counters and the latest replies and transcripts."""
        return self._control("GET", "/control/state")

    def stop(self, timeout: float = 5.0) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self._script_file is not None:
            self._script_file.unlink(missing_ok=True)
            self._script_file = None
        return self.process.returncode

    def __enter__(self) -> StandInProcess:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _script_argument(script: Sequence[str] | Path | str | None) -> tuple[list[str], Path | None]:
    if script is None:
        return [], None
    if isinstance(script, Path | str):
        return ["--script", str(script)], None
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="standin-script-", delete=False) as handle:
        json.dump(list(script), handle)
    return ["--script", handle.name], Path(handle.name)


def launch(
    profile: str = DEFAULT_PROFILE,
    faults: Iterable[str] | dict[str, str] = (),
    script: Sequence[str] | Path | str | None = None,
    *,
    seed: int = 0,
    host: str = "127.0.0.1",
    port: int = 0,
    ready_timeout: float = 30.0,
    stderr: int | None = None,
) -> StandInProcess:
    """Start the stand-ins and wait for their ready line. `faults`: ["llm:hang"] or {"llm": "hang"};
    `script`: utterance texts, or a script file. Logs go to `stderr` (inherited unless given)."""
    fault_texts = (
        [f"{hop}:{kind}" for hop, kind in faults.items()] if isinstance(faults, dict) else list(faults)
    )
    for text in fault_texts:
        parse_fault(text)
    script_args, script_file = _script_argument(script)
    command = [sys.executable, "-m", "evals.standins", "serve", "--profile", profile, "--seed", str(seed)]
    command += ["--host", host, "--port", str(port), *script_args]
    for text in fault_texts:
        command += ["--fault", text]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline() if process.stdout else ""))
    reader.start()
    reader.join(ready_timeout)
    if not line or not line[0].strip():
        process.kill()
        process.wait(5)
        if script_file is not None:
            script_file.unlink(missing_ok=True)
        raise StandInError(f"the stand-ins did not start (exit {process.returncode}); see their stderr")
    ready = json.loads(line[0])
    return StandInProcess(process, ready["url"], dict(ready["env"]), script_file)
