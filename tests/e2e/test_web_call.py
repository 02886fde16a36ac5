# ruff: noqa: F811 - the imported fixtures are taken as test arguments of the same name
"""The call widget and the operator console in Debian's Chromium, against the real local stack.

Real WebRTC from the page to livekit-server, the real worker, the token service; the caller's
voice is a synthesized WAV played as Chromium's fake microphone. Screenshots go to tests/artifacts/e2e.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from livekit import api
from playwright.async_api import Browser, Page, Playwright

from agent.config import load_settings
from agent.livekit_api import server_api
from tests.e2e.browser import ENERGY_PROBE, energy, launch, screenshot, speech_wav

# `playwright` and `stack` are module fixtures shared by every test here (tests/e2e has no conftest of ours)
from tests.e2e.web_stack import CONSOLE_SECRET, Stack, playwright, stack, start_token_service  # noqa: F401
from tools.sqlite_store import SQLiteBackend

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]

LEAD_IN_S = 9.0
"""Silence before the caller speaks: the greeting (about 5 s) is over by then."""
STATE_HISTORY = """
() => {
  const widget = document.querySelector('voice-agent-call');
  window.__states = [widget.getAttribute('state')];
  widget.addEventListener('statechange', (event) => window.__states.push(event.detail.state));
}
"""
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def wavs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("microphones")
    return {
        "question": speech_wav(folder / "question.wav", [(LEAD_IN_S, "I need a plumber tomorrow morning.")]),
        "person": speech_wav(
            folder / "person.wav",
            [(LEAD_IN_S, "I want to talk to a person please.")]
            + [(14.0 if i == 0 else 1.0, "My kitchen sink is still leaking.") for i in range(25)],
        ),
        "operator": speech_wav(
            folder / "operator.wav", [(1.0, "Hello, this is Alice from the front office.") for _ in range(25)]
        ),
    }


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def caller_browser(playwright: Playwright, wavs: dict[str, Path]) -> AsyncIterator[Browser]:
    browser = await launch(playwright, microphone=wavs["question"])
    yield browser
    await browser.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def call_page(caller_browser: Browser, stack: Stack) -> AsyncIterator[Page]:
    page = await caller_browser.new_page()
    rooms: list[str] = []

    async def _note_room(response: object) -> None:
        if response.url.endswith("/api/token") and response.status == 201:  # type: ignore[attr-defined]
            rooms.append((await response.json())["room_name"])  # type: ignore[attr-defined]

    page.on("response", _note_room)
    page.rooms = rooms  # type: ignore[attr-defined]
    await page.goto(stack.web.url)
    yield page
    await page.close()


async def wait_state(page: Page, *states: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = await page.get_attribute("voice-agent-call", "state")
        if state in states:
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"the widget never reached {states}; it is {state!r}")


async def captions(page: Page) -> list[tuple[str, str]]:
    return await page.evaluate(
        """() => [...document.querySelector('voice-agent-call').shadowRoot.querySelectorAll('.captions li')]
              .map((li) => [li.className, li.querySelector('.text').textContent])"""
    )


async def wait_caption(page: Page, who: str, fragment: str, *, after: int = 0, timeout: float = 30.0) -> int:
    """Index of the first caption line from `who` containing `fragment`, at or after line `after`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for index, (speaker, text) in enumerate(await captions(page)):
            if index >= after and speaker == who and fragment in text.lower():
                return index
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {who} caption with {fragment!r}: {await captions(page)}")


async def room_is_empty(stack: Stack, room: str) -> bool:
    lkapi = server_api(stack.settings)
    try:
        listed = await lkapi.room.list_participants(api.ListParticipantsRequest(room=room))
        return not listed.participants
    except api.TwirpError:
        return True  # the room is gone
    finally:
        await lkapi.aclose()


async def test_a_call_greets_captions_both_sides_and_answers(call_page: Page, stack: Stack) -> None:
    page = call_page
    await page.evaluate(ENERGY_PROBE)
    await page.evaluate(STATE_HISTORY)
    await screenshot(page, "01-ready")
    clicked_at = await page.evaluate("performance.now()")
    wall_clicked = time.monotonic()
    await page.locator("voice-agent-call button.call").click()
    await wait_state(page, "listening", "speaking", timeout=30)
    TIMINGS["click_to_agent_state_s"] = time.monotonic() - wall_clicked
    await wait_caption(page, "agent", "thanks for calling", timeout=30)
    await screenshot(page, "02-greeting")
    heard = (await energy(page)).get(next(iter(await _agent_identities(page)), ""), {})
    assert heard.get("first"), f"the greeting was never audible in the page: {await energy(page)}"
    TIMINGS["click_to_greeting_audible_s"] = (heard["first"] - clicked_at) / 1000
    # the fake microphone says the question after the greeting; the agent's STT shows it as the caller's line
    said = await wait_caption(page, "you", "plumber", timeout=40)
    answer = await wait_caption(page, "agent", "", after=said + 1, timeout=20)
    deadline = time.monotonic() + 10
    # a second "speaking" (the greeting was the first): a short answer may be over before any poll sees it
    while (await page.evaluate("window.__states")).count("speaking") < 2:
        assert time.monotonic() < deadline, await page.evaluate("window.__states")
        await asyncio.sleep(0.05)
    deadline = time.monotonic() + 10
    while len((await captions(page))[answer][1].split()) < 4 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)  # the answer's caption grows as it is spoken
    await screenshot(page, "03-answer")
    levels = await energy(page)
    question = [seg for seg in levels["microphone"]["segments"] if seg[1] - seg[0] > 1000][-1]
    agent = next(v for k, v in levels.items() if k not in ("microphone", "unknown"))
    reply = next(seg for seg in agent["segments"] if seg[0] > question[1])
    TIMINGS["round_trip_at_the_page_s"] = (reply[0] - question[1]) / 1000
    states = await page.evaluate("window.__states")
    assert {"connecting", "listening", "speaking"} <= set(states), states
    quality = await page.get_attribute("voice-agent-call >> .quality", "data-quality")
    assert quality in {"excellent", "good", "poor"}, quality
    print(f"\nmeasured: {TIMINGS}; captions: {await captions(page)}")


async def _agent_identities(page: Page) -> list[str]:
    return await page.evaluate(
        """() => [...document.querySelector('voice-agent-call').shadowRoot.querySelectorAll('audio')]
              .map((a) => a.dataset.identity)"""
    )


async def test_hang_up_empties_the_room_and_ends_the_job(call_page: Page, stack: Stack) -> None:
    page = call_page
    assert page.rooms, "no call was placed"  # type: ignore[attr-defined]
    room = page.rooms[-1]  # type: ignore[attr-defined]
    assert stack.active_jobs() == 1
    hung_up_at = time.monotonic()
    await page.locator("voice-agent-call button.hangup").click()
    await wait_state(page, "ended", timeout=10)
    await screenshot(page, "04-ended")
    deadline = time.monotonic() + 30
    while not (await room_is_empty(stack, room) and stack.active_jobs() == 0):
        assert time.monotonic() < deadline, "the room or the worker's job outlived the hang-up"
        await asyncio.sleep(0.2)
    print(f"\nhang-up -> room empty and job ended: {time.monotonic() - hung_up_at:.2f} s")


async def test_a_denied_microphone_says_so_and_offers_a_retry(playwright: Playwright, stack: Stack) -> None:
    browser = await launch(playwright, microphone=None, allow_microphone=False)
    try:
        page = await browser.new_page()
        await page.goto(stack.web.url)
        # by keyboard alone: Tab reaches the Call button (in the shadow root), Enter presses it
        focused = "document.querySelector('voice-agent-call').shadowRoot.activeElement?.className || ''"
        for _ in range(5):
            await page.keyboard.press("Tab")
            if "call" in await page.evaluate(focused):
                break
        assert "call" in await page.evaluate(focused), "Tab never reached the Call button"
        await page.keyboard.press("Enter")
        await wait_state(page, "error", timeout=10)
        assert await page.get_attribute("voice-agent-call", "error") == "microphone-denied"
        assert "retry" in await page.evaluate(focused)  # focus moves to the way out
        alert = page.locator("voice-agent-call .problem")
        assert "did not allow the microphone" in await alert.inner_text()
        assert await page.locator("voice-agent-call button.retry").is_visible()
        await screenshot(page, "05-microphone-denied")
    finally:
        await browser.close()


async def test_an_agent_that_never_joins_says_so(caller_browser: Browser, stack: Stack) -> None:
    # a token service dispatching an agent no worker serves: the server drops the dispatch silently
    orphan = start_token_service(stack.server.ports.url, "nobody-serves-this", stack.worker.data_dir)
    page = await caller_browser.new_page()
    try:
        await page.goto(orphan.url)
        await page.evaluate("document.querySelector('voice-agent-call').setAttribute('agent-timeout', '3')")
        await page.locator("voice-agent-call button.call").click()
        await wait_state(page, "error", timeout=20)
        assert await page.get_attribute("voice-agent-call", "error") == "agent-absent"
        assert "did not pick up" in await page.locator("voice-agent-call .problem").inner_text()
        await screenshot(page, "07-agent-absent")
    finally:
        await page.close()
        orphan.stop()


async def seed_voicemail(stack: Stack, recording: Path) -> None:
    """A stored callback with a recorded message, as the voicemail desk leaves one."""
    settings = load_settings(env_file=None, data_dir=stack.worker.data_dir)
    settings.voicemail_dir.mkdir(parents=True, exist_ok=True)
    audio = settings.voicemail_dir / "e2e-message.wav"
    shutil.copy(recording, audio)
    start = dt.datetime.now().replace(hour=8, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    await SQLiteBackend(settings.store_path).schedule_callback(
        key=f"e2e-{time.time()}",
        phone="+13125550198",
        window_start=start,
        window_end=start + dt.timedelta(hours=4),
        reason="voicemail",
        context="{}",
        message="My water heater is making a loud banging noise.",
        message_audio=str(audio),
    )


async def test_warm_transfer_to_the_console_with_audio_both_ways(
    playwright: Playwright, stack: Stack, wavs: dict[str, Path]
) -> None:
    await seed_voicemail(stack, wavs["question"])
    operator_browser = await launch(playwright, microphone=wavs["operator"])
    caller_browser = await launch(playwright, microphone=wavs["person"])
    try:
        console = await operator_browser.new_page()
        await console.goto(f"{stack.web.url}/console")
        await console.fill("#identity", "alice")
        await console.fill("#name", "Alice")
        await console.fill("#secret", CONSOLE_SECRET)
        await console.click("#signin-form button[type=submit]")
        await console.wait_for_selector("body[data-state=available]", timeout=20_000)
        # the callback queue: the seeded voicemail's message, and its recording played in the page
        row = console.locator("#callbacks tr", has_text="water heater")
        await row.wait_for(timeout=10_000)
        assert "+13125550198" in await row.inner_text()
        await row.locator("button").click()
        duration = await row.locator("audio").evaluate(
            "(audio) => new Promise((done) => audio.readyState >= 1 ? done(audio.duration)"
            " : audio.addEventListener('loadedmetadata', () => done(audio.duration)))"
        )
        assert duration > 1.0, duration
        await screenshot(console, "10-console-available")

        caller = await caller_browser.new_page()
        await caller.goto(stack.web.url)
        await caller.evaluate(ENERGY_PROBE)
        await caller.evaluate(STATE_HISTORY)
        await caller.locator("voice-agent-call button.call").click()

        await console.wait_for_selector("body[data-state=ringing]", timeout=60_000)
        await console.evaluate(ENERGY_PROBE)
        offer = await console.inner_text("#offer-details")
        assert "person" in offer.lower() and "Transcript" in offer and "Caller number" in offer, offer
        countdown = await console.inner_text("#countdown")
        assert countdown.endswith(" s") and 0 < int(countdown.split()[0]) <= 20, countdown
        await screenshot(console, "11-console-offer")
        await wait_state(caller, "transferring", timeout=10)
        await screenshot(caller, "12-caller-transferring")
        accepted_at = time.monotonic()
        await console.click("#accept")

        await console.wait_for_selector("body[data-state=on-call]", timeout=60_000)
        await wait_state(caller, "human", timeout=30)
        TIMINGS["accept_to_connected_s"] = time.monotonic() - accepted_at
        assert "Connected with Alice" in await caller.locator("voice-agent-call .status").inner_text()
        await screenshot(console, "13-console-on-call")
        await screenshot(caller, "14-caller-with-alice")

        # each hears the other: audio energy at each page's WebAudio analyser
        deadline = time.monotonic() + 30
        while True:
            caller_heard = (await energy(caller)).get("alice", {})
            operator_heard = next(
                (v for k, v in (await energy(console)).items() if k.startswith("web-caller")), {}
            )
            if caller_heard.get("first") and operator_heard.get("first"):
                break
            assert time.monotonic() < deadline, (await energy(caller), await energy(console))
            await asyncio.sleep(0.2)
        print(
            f"\nwarm transfer: {TIMINGS}; caller hears alice at {caller_heard['max']:.0f} dBFS peak, "
            f"alice hears the caller at {operator_heard['max']:.0f} dBFS peak"
        )

        await caller.locator("voice-agent-call button.hangup").click()
        await console.wait_for_selector("body[data-state=available]", timeout=20_000)
    finally:
        await caller_browser.close()
        await operator_browser.close()


async def test_the_token_service_down_says_so(caller_browser: Browser, stack: Stack) -> None:
    page = await caller_browser.new_page()
    await page.goto(stack.web.url)
    stack.web.stop()
    try:
        await page.locator("voice-agent-call button.call").click()
        await wait_state(page, "error", timeout=15)
        assert await page.get_attribute("voice-agent-call", "error") == "service-unreachable"
        assert "cannot be reached" in await page.locator("voice-agent-call .problem").inner_text()
        await screenshot(page, "06-service-down")
    finally:
        await page.close()
        stack.web = start_token_service(
            stack.server.ports.url, stack.worker.agent_name, stack.worker.data_dir
        )
