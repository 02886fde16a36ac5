"""The escalation policy on its own: failed turns, resets, requests and their priority."""

from __future__ import annotations

from agent.escalation.policy import EscalationPolicy, FailureReason, Trigger, sounds_frustrated


def turn(policy: EscalationPolicy, said: str, reply: str, *failures: FailureReason):
    policy.caller_said(said)
    for failure in failures:
        policy.turn_failed(failure)
    return policy.agent_replied(reply)


def test_two_failed_turns_in_a_row_escalate_with_their_reasons() -> None:
    policy = EscalationPolicy()
    assert turn(policy, "blah", "Sorry?", FailureReason.NOT_UNDERSTOOD) is None
    escalation = turn(policy, "blah blah", "Sorry, again?", FailureReason.TOOL_FAILED)
    assert escalation is not None and escalation.trigger is Trigger.FAILED_TURNS
    assert not escalation.emergency and escalation.first_tier == "first"
    assert [f.reason for f in policy.failures] == [FailureReason.NOT_UNDERSTOOD, FailureReason.TOOL_FAILED]
    assert "not understood" in escalation.reason and "tool failed" in escalation.reason


def test_a_good_turn_resets_the_count() -> None:
    policy = EscalationPolicy()
    turn(policy, "blah", "Sorry?", FailureReason.NOT_UNDERSTOOD)
    assert turn(policy, "I need a plumber", "What day works?") is None
    assert policy.consecutive_failed == 0
    assert turn(policy, "blah", "Sorry?", FailureReason.NOT_UNDERSTOOD) is None


def test_many_failures_in_one_turn_count_once() -> None:
    policy = EscalationPolicy()
    turn(
        policy,
        "x",
        "Sorry?",
        FailureReason.TOOL_FAILED,
        FailureReason.TOOL_FAILED,
        FailureReason.NOT_UNDERSTOOD,
    )
    assert policy.consecutive_failed == 1


def test_the_threshold_is_a_setting() -> None:
    policy = EscalationPolicy(failed_turns_to_transfer=3)
    for _ in range(2):
        assert turn(policy, "x", "Sorry?", FailureReason.NOT_UNDERSTOOD) is None
    assert turn(policy, "x", "Sorry?", FailureReason.NOT_UNDERSTOOD) is not None


def test_the_same_question_twice_in_a_row_is_a_failed_turn() -> None:
    policy = EscalationPolicy()
    ask = "Can I have your name and zip code, or the phone number on your account?"
    turn(policy, "I need a plumber", ask)
    assert policy.consecutive_failed == 0
    turn(policy, "uh I don't know", ask)
    assert [f.reason for f in policy.failures] == [FailureReason.REPEATED_PROMPT]
    assert turn(policy, "what", ask) is not None  # the held-out call's seven repeats now escalate


def test_frustration_and_low_confidence_fail_the_turn() -> None:
    policy = EscalationPolicy(low_confidence=0.5)
    turn(policy, "I already told you that", "Sorry about that. What day?")
    policy.caller_said("mumble")
    policy.heard_with_confidence(0.2)
    assert policy.agent_replied("Could you say that again?") is not None
    assert {f.reason for f in policy.failures} == {
        FailureReason.FRUSTRATION,
        FailureReason.LOW_STT_CONFIDENCE,
    }


def test_an_stt_that_reports_no_confidence_never_fails_a_turn() -> None:
    policy = EscalationPolicy()
    policy.caller_said("hello")
    policy.heard_with_confidence(0.0)
    policy.agent_replied("Hi!")
    assert policy.failures == []


def test_requests_decide_at_once_and_only_once() -> None:
    policy = EscalationPolicy()
    emergency = policy.request(Trigger.EMERGENCY, "gas smell")
    assert emergency is not None and emergency.emergency and emergency.priority > 0
    assert policy.request(Trigger.CALLER_ASKED, "a person") is None
    manager = EscalationPolicy().request(Trigger.MANAGER, "wants a manager")
    assert manager is not None and manager.first_tier == "supervisor" and manager.priority == 0


def test_greeting_replies_outside_a_turn_change_nothing() -> None:
    policy = EscalationPolicy()
    assert policy.agent_replied("Thanks for calling. How can I help you today?") is None
    assert policy.turns == 0 and policy.failures == []


def test_frustration_phrases() -> None:
    assert sounds_frustrated("This is useless")
    assert sounds_frustrated("how many times do I have to say it")
    assert not sounds_frustrated("I need a plumber tomorrow morning")


def test_a_failure_reported_before_the_callers_words_are_committed_counts_for_that_turn() -> None:
    # preemptive generation runs the LLM (and its failure hook) before the user message lands
    policy = EscalationPolicy()
    for said in ("blah", "blah blah"):
        policy.turn_failed(FailureReason.NOT_UNDERSTOOD)
        policy.caller_said(said)
        escalation = policy.agent_replied("Sorry, I didn't catch that.")
    assert escalation is not None and policy.consecutive_failed == 2
