"""`voice-agent sip setup` against an in-memory SIP service: creates, keeps, updates, dry runs."""

from __future__ import annotations

import json

import pytest

from agent.config import Settings, load_settings
from agent.telephony.provisioning import (
    DISPATCH_RULE_NAME,
    INBOUND_TRUNK_NAME,
    OUTBOUND_TRUNK_NAME,
    Provisioner,
    desired_inbound,
)
from tests.unit.telephony.fake_sip import FakeSipService


def _settings(**overrides: object) -> Settings:
    return load_settings(env_file=None, **overrides)


async def _run(sip: FakeSipService, settings: Settings, *, dry_run: bool = False) -> list[str]:
    return [change.action for change in await Provisioner(sip, settings, dry_run=dry_run).run()]


async def test_first_run_creates_the_trunk_and_a_rule_that_dispatches_our_agent() -> None:
    sip = FakeSipService()
    settings = _settings(agent_name="front-desk", sip_numbers="+15550100, +15550101")

    assert await _run(sip, settings) == ["create", "create"]  # no outbound address: no outbound trunk

    (trunk,) = sip.inbound.values()
    assert trunk.name == INBOUND_TRUNK_NAME
    assert list(trunk.numbers) == ["+15550100", "+15550101"]
    assert list(trunk.allowed_addresses) == ["127.0.0.1/32"]
    (rule,) = sip.rules.values()
    assert rule.name == DISPATCH_RULE_NAME
    assert list(rule.trunk_ids) == [trunk.sip_trunk_id]
    assert rule.rule.dispatch_rule_individual.room_prefix == "call-"
    assert [agent.agent_name for agent in rule.room_config.agents] == ["front-desk"]


async def test_a_second_run_changes_nothing() -> None:
    sip = FakeSipService()
    settings = _settings(
        sip_auth_username="carrier",
        sip_auth_password="s3cret-pass",
        sip_outbound_address="127.0.0.1:5070",
        sip_outbound_number="+15550199",
    )
    await _run(sip, settings)
    writes = list(sip.writes)

    assert await _run(sip, settings) == ["keep", "keep", "keep"]
    assert sip.writes == writes


async def test_changed_settings_update_in_place() -> None:
    sip = FakeSipService()
    await _run(sip, _settings(sip_allowed_addresses="127.0.0.1/32"))
    trunk_id = next(iter(sip.inbound))

    assert await _run(sip, _settings(sip_allowed_addresses="127.0.0.1/32,127.0.0.2")) == ["update", "keep"]
    assert list(sip.inbound[trunk_id].allowed_addresses) == ["127.0.0.1/32", "127.0.0.2"]
    assert await _run(sip, _settings(sip_allowed_addresses="127.0.0.1/32", agent_name="other")) == [
        "update",
        "update",
    ]
    assert [a.agent_name for a in next(iter(sip.rules.values())).room_config.agents] == ["other"]


async def test_a_new_password_alone_is_a_change() -> None:
    sip = FakeSipService()
    await _run(sip, _settings(sip_auth_username="carrier", sip_auth_password="first-pass"))
    assert await _run(sip, _settings(sip_auth_username="carrier", sip_auth_password="second-pass")) == [
        "update",
        "keep",
    ]


async def test_dry_run_reports_and_writes_nothing() -> None:
    sip = FakeSipService()
    settings = _settings(sip_outbound_address="127.0.0.1:5070", sip_outbound_number="+15550100")

    assert await _run(sip, settings, dry_run=True) == ["create", "create", "create"]
    assert sip.writes == []

    await _run(sip, settings)
    changed = _settings(sip_outbound_address="127.0.0.1:5071", sip_outbound_number="+15550100")
    assert await _run(sip, changed, dry_run=True) == ["keep", "update", "keep"]
    assert sip.writes == ["create inbound", "create outbound", "create rule"]


async def test_clearing_the_outbound_address_removes_our_outbound_trunk() -> None:
    sip = FakeSipService()
    await _run(sip, _settings(sip_outbound_address="127.0.0.1:5070", sip_outbound_number="+15550100"))
    assert [t.name for t in sip.outbound.values()] == [OUTBOUND_TRUNK_NAME]

    assert await _run(sip, _settings()) == ["keep", "delete", "keep"]
    assert sip.outbound == {}


def test_the_metadata_fingerprint_never_carries_the_password() -> None:
    trunk = desired_inbound(_settings(sip_auth_username="carrier", sip_auth_password="s3cret-pass"))
    metadata = json.loads(trunk.metadata)
    assert metadata["managed_by"] == "voice-agent sip setup"
    assert "s3cret" not in trunk.metadata


@pytest.mark.parametrize("argv", [["sip"], ["sip", "setup", "--bogus"], ["sip", "teardown"]])
def test_bad_sip_arguments_exit_2_with_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from agent.cli import main

    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"sip_auth_username": "carrier"}, "SIP_AUTH_PASSWORD"),
        ({"sip_outbound_address": "127.0.0.1:5070"}, "SIP_OUTBOUND_NUMBER"),
        ({"sip_operator_phones": "alice"}, "SIP_OPERATOR_PHONES"),
    ],
)
def test_half_configured_telephony_is_one_clear_error(overrides: dict[str, str], setting: str) -> None:
    from agent.config import ConfigError

    with pytest.raises(ConfigError, match=setting):
        _settings(**overrides)
