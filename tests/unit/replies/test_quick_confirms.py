"""Quick confirms: chosen by what the caller did, varied, and only when the answer will be late."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from agent.replies.quick_confirms import (
    CONFIRMS,
    FILLER_TEXT,
    TOOL_CONFIRMS,
    TOOL_FOLLOW_UPS,
    CallerAct,
    QuickConfirms,
    caller_act,
    without_leading_confirms,
)
from agent.replies.reply_timing import load_timer, save_timer, timer_for_chain
from tests.unit.replies.scripted_voice import ScriptedVoice
from tools.front_desk_tools import FILLER

CLOUD = "stt=deepgram>offline llm=openai>offline tts=openai>offline"
OFFLINE = "stt=offline llm=offline tts=offline"


@pytest.mark.parametrize(
    ("text", "act"),
    [
        ("Is there anything open on Saturday morning?", CallerAct.QUESTION),
        ("How much does a visit usually cost", CallerAct.QUESTION),
        ("Hi, I'd like to book a plumber.", CallerAct.REQUEST),
        ("Can you move my appointment to Friday?", CallerAct.REQUEST),
        ("Yes, please go ahead and book it.", CallerAct.REQUEST),
        ("My name is Dana Whitfield and my zip code is 60614.", CallerAct.ANSWER),
        ("No, that time is too early.", CallerAct.ANSWER),
        ("No, that's all. Thank you, goodbye.", CallerAct.CLOSING),
    ],
)
def test_the_callers_act_is_read_from_their_words(text: str, act: CallerAct) -> None:
    assert caller_act(text) == act


async def rendered(chain: str) -> QuickConfirms:
    confirms = QuickConfirms(timer_for_chain(chain))
    # 20 frames of 10 ms: every confirm lasts 0.2 s
    await confirms.render(ScriptedVoice(first_audio_s=0.0, frames=20))
    return confirms


async def test_a_cloud_answer_gets_a_confirm_fitting_the_callers_act_and_varied() -> None:
    confirms = await rendered(CLOUD)
    said = [confirms.for_turn("Is there anything open on Saturday?", generating_for_s=0.0) for _ in range(4)]
    texts = [confirm.text for confirm in said if confirm is not None]
    assert len(texts) == 4 and set(texts) <= set(CONFIRMS[CallerAct.QUESTION])
    assert all(a != b for a, b in itertools.pairwise(texts)), texts
    assert confirms.for_turn("Bye now.", generating_for_s=0.0).text in CONFIRMS[CallerAct.CLOSING]


async def test_no_confirm_when_the_answer_is_predicted_in_time() -> None:
    # the offline stack answers in a few hundred ms: a confirm would only be in its way
    assert (await rendered(OFFLINE)).for_turn("Can you book it?", generating_for_s=0.0) is None
    cloud = await rendered(CLOUD)
    # a preemptive generation running for a second already is nearly there
    assert cloud.for_turn("Can you book it?", generating_for_s=1.0) is None
    # and a call whose measured replies are quick stops confirming
    for _ in range(10):
        cloud.timer.observe_llm(0.1)
        cloud.timer.observe_tts(0.05)
    assert cloud.for_turn("Can you book it?", generating_for_s=0.0) is None


async def test_a_confirm_that_failed_to_render_is_never_played() -> None:
    confirms = QuickConfirms(timer_for_chain(CLOUD))
    await confirms.render(ScriptedVoice(first_audio_s=0.0, frames=20, fail_on="."))
    assert confirms.for_turn("Can you book it?", generating_for_s=0.0) is None
    assert confirms.for_tool() is None


def test_confirms_are_told_from_the_answer() -> None:
    assert FILLER_TEXT == FILLER
    assert without_leading_confirms("Sure. Let me check. I have Monday at 9.") == "I have Monday at 9."
    assert without_leading_confirms("Surely not.") == "Surely not."


async def test_tool_steps_get_a_confirm_then_a_follow_up_and_no_more() -> None:
    confirms = await rendered(CLOUD)
    confirms.for_turn("My name is Dana Whitfield.", generating_for_s=0.0)
    first, second, third = confirms.for_tool(), confirms.for_tool(), confirms.for_tool()
    assert first is not None and first.text in TOOL_CONFIRMS
    assert second is not None and second.text in TOOL_FOLLOW_UPS
    assert third is None
    # the next turn starts the count again
    confirms.for_turn("Yes, book it.", generating_for_s=0.0)
    assert confirms.for_tool() is not None


def test_a_new_call_starts_from_what_the_last_call_on_its_chain_measured(tmp_path: Path) -> None:
    timing = tmp_path / "reply-timing.json"
    assert load_timer(timing, CLOUD).llm_first_token_s == timer_for_chain(CLOUD).llm_first_token_s
    measured = timer_for_chain(CLOUD)
    for _ in range(20):
        measured.observe_llm(0.02)
        measured.observe_tts(0.01)
    save_timer(timing, CLOUD, measured)
    save_timer(timing, OFFLINE, timer_for_chain(OFFLINE))
    assert load_timer(timing, CLOUD).remaining_s(0.0) < 0.2
    # a torn file is the public prior again, never an error
    timing.write_text("{not json")
    assert load_timer(timing, CLOUD).llm_first_token_s == timer_for_chain(CLOUD).llm_first_token_s
