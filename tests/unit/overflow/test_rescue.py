"""Which rooms the rescue sweep hands to a new agent: a caller left with only a silent, dead agent."""

from __future__ import annotations

from livekit import api

from agent.overflow.rescue import HEARTBEAT_ATTRIBUTE, STALE_AFTER_S, dead_agents, is_rescue

NOW = 1_800_000_000.0


def _agent(identity: str, beat_age_s: float | None) -> api.ParticipantInfo:
    attributes = {} if beat_age_s is None else {HEARTBEAT_ATTRIBUTE: f"{NOW - beat_age_s:.1f}"}
    return api.ParticipantInfo(identity=identity, kind=api.ParticipantInfo.Kind.AGENT, attributes=attributes)


def _person(identity: str, *, operator: bool = False, sip: bool = False) -> api.ParticipantInfo:
    kind = api.ParticipantInfo.Kind.SIP if sip else api.ParticipantInfo.Kind.STANDARD
    attributes = {"voice.role": "operator"} if operator else {}
    return api.ParticipantInfo(identity=identity, kind=kind, attributes=attributes)


def test_a_caller_with_a_dead_agent_is_rescued() -> None:
    assert dead_agents([_person("caller"), _agent("agent-1", STALE_AFTER_S + 1)], now=NOW) == ["agent-1"]
    assert dead_agents([_person("phone", sip=True), _agent("agent-1", 60)], now=NOW) == ["agent-1"]


def test_a_live_agent_is_left_alone() -> None:
    assert dead_agents([_person("caller"), _agent("agent-1", 1.0)], now=NOW) == []
    # a dead waiting line beside a live agent: the live one serves the caller
    assert dead_agents([_person("caller"), _agent("agent-1", 1.0), _agent("line", 60)], now=NOW) == []


def test_rooms_without_a_caller_or_without_heartbeats_are_left_alone() -> None:
    assert dead_agents([_agent("agent-1", 60)], now=NOW) == []  # nobody to rescue
    assert dead_agents([_person("human", operator=True), _agent("agent-1", 60)], now=NOW) == []
    assert (
        dead_agents([_person("caller"), _person("human", operator=True)], now=NOW) == []
    )  # after a transfer
    assert dead_agents([_person("caller"), _agent("other-agent", None)], now=NOW) == []  # not one of ours


def test_a_rescue_is_known_by_its_dispatch_metadata() -> None:
    assert is_rescue('{"voice.rescue": {"dead_agents": 1}}')
    assert not is_rescue("")
    assert not is_rescue("{broken")
