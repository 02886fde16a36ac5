"""A caller says a phone number and a card number: neither shows up in any log line or span."""

from __future__ import annotations

import json
import re
from pathlib import Path

from agent.caller import place_call, synthesize_utterance
from tests.integration.conftest import RunningServer, launch_worker, settings_for
from tests.integration.test_spans import wait_for_spans

PHONE = "4155550100"
CARD = "4111111111111111"
SAID = (
    "My phone number is four one five, five five five, zero one zero zero.",
    "My card number is four one one one, one one one one, one one one one, one one one one.",
)


NUMBER_RUN = re.compile(r"\d(?:[\s,.\-()/]{0,3}\d){6,}")
_DIGIT_WORD = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)"
SPOKEN = re.compile(rf"\b{_DIGIT_WORD}(?:[\s,.\-]{{1,3}}{_DIGIT_WORD}){{6,}}\b", re.IGNORECASE)
"""Seven or more digits written as words, as Whisper often writes them ("four, one, one, one")."""


def number_runs(text: str) -> list[str]:
    """Runs of 7+ digits as STT writes them ("415, 515, 010"), separators dropped."""
    return [re.sub(r"\D", "", run) for run in NUMBER_RUN.findall(text)]


def heard_a_number(text: str) -> bool:
    return bool(number_runs(text) or SPOKEN.search(text))


def leaks(text: str, needles: set[str]) -> list[str]:
    runs = number_runs(text)
    found = [needle for needle in needles if any(needle in run for run in runs)]
    spoken = SPOKEN.search(text)
    return found + ([spoken.group()] if spoken else [])


async def test_spoken_numbers_never_reach_logs_or_spans(shared_server: RunningServer, tmp_path: Path) -> None:
    traces = tmp_path / "spans.jsonl"
    # the most revealing settings short of "full": transcripts on spans (masked), debug logs
    # one warm process, not the default four: the pool size is not under test here, and four
    # processes loading Whisper at once on two cores slowed the tiny-Whisper STT this test relies on
    worker = launch_worker(
        shared_server.ports.url,
        TRACES_PATH=str(traces),
        TRACE_TRANSCRIPTS="redacted",
        LOG_LEVEL="DEBUG",
        WORKER_NUM_IDLE_PROCESSES="1",
    )
    try:
        worker.wait_for_log("registered worker")
        worker.wait_for_log("process initialized", timeout=120)
        for _attempt in range(2):
            # Whisper tiny on a loaded machine sometimes hears no digit run at all ("415. I'm
            # fine, fine"); the test means something only when one was heard, so it calls again
            report = await place_call(
                settings_for(shared_server, worker), [synthesize_utterance(s) for s in SAID], timeout=30
            )
            heard = " ".join(turn.agent_heard for turn in report.turns)
            if heard_a_number(heard):
                break
        spans_text = traces.read_text() if wait_for_spans(traces, 1) else ""
    finally:
        worker.stop()

    # what the STT really wrote (tiny Whisper garbles long digit strings) and what was said
    needles = {run[:9] for run in number_runs(heard)} | {PHONE[-7:], CARD[:9]}
    # the test only means something if the agent really heard numbers
    assert heard_a_number(heard), f"the agent heard no number: {heard!r}"
    assert "[phone]" in spans_text or "[card]" in spans_text, "masked transcripts expected on the spans"
    for number, line in enumerate(spans_text.splitlines(), 1):
        assert not leaks(line, needles), f"span line {number} leaks {leaks(line, needles)}: {line[:300]}"
    call_lines = []
    for line in worker.lines:
        assert not leaks(line, needles), f"log line leaks {leaks(line, needles)}: {line[:300]}"
        if line.startswith("{") and '"call_id"' in line:
            call_lines.append(json.loads(line))
    assert call_lines, "no log line carried the call id"
    for entry in call_lines:
        assert entry.get("trace_id") and entry.get("span_id"), entry
