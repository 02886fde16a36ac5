"""`voice-agent sip setup`: the inbound trunk, its dispatch rule and the outbound trunk, made to match settings.

Each resource we own carries a fingerprint of its settings in its metadata. A run compares
fingerprints, so a second run with the same settings changes nothing, whatever the server
echoes back (it never returns passwords as they were set)."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Literal, Protocol

from livekit.protocol import agent_dispatch as dispatch_pb
from livekit.protocol import room as room_pb
from livekit.protocol import sip as sip_pb

from agent.config import Settings

MANAGED_BY = "voice-agent sip setup"
INBOUND_TRUNK_NAME = "voice-agent inbound"
OUTBOUND_TRUNK_NAME = "voice-agent outbound"
DISPATCH_RULE_NAME = "voice-agent calls"
ROOM_PREFIX = "call-"
"""Every call gets its own room, call-<caller>_<random>."""

Action = Literal["create", "update", "delete", "keep"]


class SipService(Protocol):
    """The parts of livekit.api's SipService we use (a fake implements the same in unit tests)."""

    async def list_inbound_trunk(
        self, list: sip_pb.ListSIPInboundTrunkRequest
    ) -> sip_pb.ListSIPInboundTrunkResponse: ...
    async def list_outbound_trunk(
        self, list: sip_pb.ListSIPOutboundTrunkRequest
    ) -> sip_pb.ListSIPOutboundTrunkResponse: ...
    async def list_dispatch_rule(
        self, list: sip_pb.ListSIPDispatchRuleRequest
    ) -> sip_pb.ListSIPDispatchRuleResponse: ...
    async def create_inbound_trunk(
        self, create: sip_pb.CreateSIPInboundTrunkRequest
    ) -> sip_pb.SIPInboundTrunkInfo: ...
    async def update_inbound_trunk(
        self, trunk_id: str, trunk: sip_pb.SIPInboundTrunkInfo
    ) -> sip_pb.SIPInboundTrunkInfo: ...
    async def create_outbound_trunk(
        self, create: sip_pb.CreateSIPOutboundTrunkRequest
    ) -> sip_pb.SIPOutboundTrunkInfo: ...
    async def update_outbound_trunk(
        self, trunk_id: str, trunk: sip_pb.SIPOutboundTrunkInfo
    ) -> sip_pb.SIPOutboundTrunkInfo: ...
    async def delete_trunk(self, delete: sip_pb.DeleteSIPTrunkRequest) -> sip_pb.SIPTrunkInfo: ...
    async def create_dispatch_rule(
        self, create: sip_pb.CreateSIPDispatchRuleRequest
    ) -> sip_pb.SIPDispatchRuleInfo: ...
    async def update_dispatch_rule(
        self, rule_id: str, rule: sip_pb.SIPDispatchRuleInfo
    ) -> sip_pb.SIPDispatchRuleInfo: ...


@dataclass(frozen=True)
class Change:
    """One resource and what a run does to it."""

    action: Action
    resource: Literal["inbound trunk", "outbound trunk", "dispatch rule"]
    name: str
    resource_id: str = ""
    detail: str = ""

    def line(self) -> str:
        ident = f" ({self.resource_id})" if self.resource_id else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.action:<6} {self.resource} '{self.name}'{ident}{detail}"


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _fingerprint(settings: Settings, fields: dict[str, object]) -> str:
    # keyed by the API secret: the metadata never holds a password's plain hash
    key = settings.livekit_api_secret.get_secret_value().encode()
    body = json.dumps(fields, sort_keys=True).encode()
    return hmac.new(key, body, hashlib.sha256).hexdigest()[:32]


def _metadata(fingerprint: str) -> str:
    return json.dumps({"managed_by": MANAGED_BY, "fingerprint": fingerprint})


def _fingerprint_of(metadata: str) -> str | None:
    try:
        parsed = json.loads(metadata or "{}")
    except json.JSONDecodeError:
        return None
    return parsed.get("fingerprint") if isinstance(parsed, dict) else None


def desired_inbound(settings: Settings) -> sip_pb.SIPInboundTrunkInfo:
    password = settings.sip_auth_password.get_secret_value()
    fields: dict[str, object] = {
        "numbers": _csv(settings.sip_numbers),
        "allowed_addresses": _csv(settings.sip_allowed_addresses),
        "auth_username": settings.sip_auth_username,
        "auth_password": password,
    }
    return sip_pb.SIPInboundTrunkInfo(
        name=INBOUND_TRUNK_NAME,
        metadata=_metadata(_fingerprint(settings, fields)),
        numbers=_csv(settings.sip_numbers),
        allowed_addresses=_csv(settings.sip_allowed_addresses),
        auth_username=settings.sip_auth_username,
        auth_password=password,
    )


def desired_outbound(settings: Settings) -> sip_pb.SIPOutboundTrunkInfo | None:
    if not settings.sip_outbound_address:
        return None
    password = settings.sip_outbound_auth_password.get_secret_value()
    numbers = [settings.sip_outbound_number] if settings.sip_outbound_number else []
    fields: dict[str, object] = {
        "address": settings.sip_outbound_address,
        "numbers": numbers,
        "auth_username": settings.sip_outbound_auth_username,
        "auth_password": password,
    }
    return sip_pb.SIPOutboundTrunkInfo(
        name=OUTBOUND_TRUNK_NAME,
        metadata=_metadata(_fingerprint(settings, fields)),
        address=settings.sip_outbound_address,
        numbers=numbers,
        auth_username=settings.sip_outbound_auth_username,
        auth_password=password,
    )


def desired_rule(settings: Settings, inbound_trunk_id: str) -> sip_pb.SIPDispatchRuleInfo:
    fields: dict[str, object] = {
        "trunk_ids": [inbound_trunk_id],
        "room_prefix": ROOM_PREFIX,
        "agent_name": settings.agent_name,
    }
    return sip_pb.SIPDispatchRuleInfo(
        name=DISPATCH_RULE_NAME,
        metadata=_metadata(_fingerprint(settings, fields)),
        trunk_ids=[inbound_trunk_id],
        rule=sip_pb.SIPDispatchRule(
            dispatch_rule_individual=sip_pb.SIPDispatchRuleIndividual(room_prefix=ROOM_PREFIX)
        ),
        # the server dispatches our agent into each new call room (explicit dispatch by name)
        room_config=room_pb.RoomConfiguration(
            agents=[dispatch_pb.RoomAgentDispatch(agent_name=settings.agent_name)]
        ),
    )


@dataclass
class Provisioner:
    """Compares what the server has with the settings, and (unless dry) makes them match."""

    sip: SipService
    settings: Settings
    dry_run: bool = False

    async def run(self) -> list[Change]:
        inbound_change, inbound_id = await self._inbound()
        changes = [inbound_change]
        changes.extend(await self._outbound())
        changes.append(await self._rule(inbound_id))
        return changes

    async def _inbound(self) -> tuple[Change, str]:
        desired = desired_inbound(self.settings)
        listed = await self.sip.list_inbound_trunk(sip_pb.ListSIPInboundTrunkRequest())
        ours = [trunk for trunk in listed.items if trunk.name == INBOUND_TRUNK_NAME]
        summary = (
            f"addresses {list(desired.allowed_addresses)}, numbers {list(desired.numbers) or 'any'}, "
            + ("digest auth" if desired.auth_username else "no auth")
        )
        if not ours:
            if self.dry_run:
                return Change(
                    "create", "inbound trunk", INBOUND_TRUNK_NAME, detail=summary
                ), "<new inbound trunk>"
            created = await self.sip.create_inbound_trunk(sip_pb.CreateSIPInboundTrunkRequest(trunk=desired))
            return Change(
                "create", "inbound trunk", INBOUND_TRUNK_NAME, created.sip_trunk_id, summary
            ), created.sip_trunk_id
        current = ours[0]
        if _fingerprint_of(current.metadata) == _fingerprint_of(desired.metadata):
            return Change(
                "keep", "inbound trunk", INBOUND_TRUNK_NAME, current.sip_trunk_id
            ), current.sip_trunk_id
        if not self.dry_run:
            await self.sip.update_inbound_trunk(current.sip_trunk_id, desired)
        return Change(
            "update", "inbound trunk", INBOUND_TRUNK_NAME, current.sip_trunk_id, summary
        ), current.sip_trunk_id

    async def _outbound(self) -> list[Change]:
        desired = desired_outbound(self.settings)
        listed = await self.sip.list_outbound_trunk(sip_pb.ListSIPOutboundTrunkRequest())
        ours = [trunk for trunk in listed.items if trunk.name == OUTBOUND_TRUNK_NAME]
        if desired is None:
            # SIP_OUTBOUND_ADDRESS was cleared: the trunk we made for it goes too
            changes = [Change("delete", "outbound trunk", OUTBOUND_TRUNK_NAME, t.sip_trunk_id) for t in ours]
            if not self.dry_run:
                for trunk in ours:
                    await self.sip.delete_trunk(sip_pb.DeleteSIPTrunkRequest(sip_trunk_id=trunk.sip_trunk_id))
            return changes
        summary = f"to {desired.address}, caller ID {list(desired.numbers) or 'none'}"
        if not ours:
            trunk_id = ""
            if not self.dry_run:
                created = await self.sip.create_outbound_trunk(
                    sip_pb.CreateSIPOutboundTrunkRequest(trunk=desired)
                )
                trunk_id = created.sip_trunk_id
            return [Change("create", "outbound trunk", OUTBOUND_TRUNK_NAME, trunk_id, summary)]
        current = ours[0]
        if _fingerprint_of(current.metadata) == _fingerprint_of(desired.metadata):
            return [Change("keep", "outbound trunk", OUTBOUND_TRUNK_NAME, current.sip_trunk_id)]
        if not self.dry_run:
            await self.sip.update_outbound_trunk(current.sip_trunk_id, desired)
        return [Change("update", "outbound trunk", OUTBOUND_TRUNK_NAME, current.sip_trunk_id, summary)]

    async def _rule(self, inbound_trunk_id: str) -> Change:
        desired = desired_rule(self.settings, inbound_trunk_id)
        listed = await self.sip.list_dispatch_rule(sip_pb.ListSIPDispatchRuleRequest())
        ours = [rule for rule in listed.items if rule.name == DISPATCH_RULE_NAME]
        summary = f"one room per call ({ROOM_PREFIX}*), agent '{self.settings.agent_name}'"
        if not ours:
            rule_id = ""
            if not self.dry_run:
                created = await self.sip.create_dispatch_rule(
                    sip_pb.CreateSIPDispatchRuleRequest(dispatch_rule=desired)
                )
                rule_id = created.sip_dispatch_rule_id
            return Change("create", "dispatch rule", DISPATCH_RULE_NAME, rule_id, summary)
        current = ours[0]
        if _fingerprint_of(current.metadata) == _fingerprint_of(desired.metadata):
            return Change("keep", "dispatch rule", DISPATCH_RULE_NAME, current.sip_dispatch_rule_id)
        if not self.dry_run:
            await self.sip.update_dispatch_rule(current.sip_dispatch_rule_id, desired)
        return Change("update", "dispatch rule", DISPATCH_RULE_NAME, current.sip_dispatch_rule_id, summary)
