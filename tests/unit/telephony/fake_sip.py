"""An in-memory stand-in for the server's SIP service: what `sip setup` lists, creates and updates."""

from __future__ import annotations

import itertools

from livekit.protocol import sip as sip_pb


class FakeSipService:
    """Keeps trunks and rules as the server would, and counts every write."""

    def __init__(self) -> None:
        self.inbound: dict[str, sip_pb.SIPInboundTrunkInfo] = {}
        self.outbound: dict[str, sip_pb.SIPOutboundTrunkInfo] = {}
        self.rules: dict[str, sip_pb.SIPDispatchRuleInfo] = {}
        self.writes: list[str] = []
        self._ids = itertools.count(1)

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids)}"

    async def list_inbound_trunk(
        self, list: sip_pb.ListSIPInboundTrunkRequest
    ) -> sip_pb.ListSIPInboundTrunkResponse:
        return sip_pb.ListSIPInboundTrunkResponse(items=list_values(self.inbound))

    async def list_outbound_trunk(
        self,
        list: sip_pb.ListSIPOutboundTrunkRequest,
    ) -> sip_pb.ListSIPOutboundTrunkResponse:
        return sip_pb.ListSIPOutboundTrunkResponse(items=list_values(self.outbound))

    async def list_dispatch_rule(
        self, list: sip_pb.ListSIPDispatchRuleRequest
    ) -> sip_pb.ListSIPDispatchRuleResponse:
        return sip_pb.ListSIPDispatchRuleResponse(items=list_values(self.rules))

    async def create_inbound_trunk(
        self, create: sip_pb.CreateSIPInboundTrunkRequest
    ) -> sip_pb.SIPInboundTrunkInfo:
        trunk = sip_pb.SIPInboundTrunkInfo()
        trunk.CopyFrom(create.trunk)
        trunk.sip_trunk_id = self._id("ST")
        trunk.auth_password = ""  # the server does not echo passwords
        self.inbound[trunk.sip_trunk_id] = trunk
        self.writes.append("create inbound")
        return trunk

    async def update_inbound_trunk(
        self, trunk_id: str, trunk: sip_pb.SIPInboundTrunkInfo
    ) -> sip_pb.SIPInboundTrunkInfo:
        stored = sip_pb.SIPInboundTrunkInfo()
        stored.CopyFrom(trunk)
        stored.sip_trunk_id = trunk_id
        self.inbound[trunk_id] = stored
        self.writes.append("update inbound")
        return stored

    async def create_outbound_trunk(
        self, create: sip_pb.CreateSIPOutboundTrunkRequest
    ) -> sip_pb.SIPOutboundTrunkInfo:
        trunk = sip_pb.SIPOutboundTrunkInfo()
        trunk.CopyFrom(create.trunk)
        trunk.sip_trunk_id = self._id("ST")
        self.outbound[trunk.sip_trunk_id] = trunk
        self.writes.append("create outbound")
        return trunk

    async def update_outbound_trunk(
        self, trunk_id: str, trunk: sip_pb.SIPOutboundTrunkInfo
    ) -> sip_pb.SIPOutboundTrunkInfo:
        stored = sip_pb.SIPOutboundTrunkInfo()
        stored.CopyFrom(trunk)
        stored.sip_trunk_id = trunk_id
        self.outbound[trunk_id] = stored
        self.writes.append("update outbound")
        return stored

    async def delete_trunk(self, delete: sip_pb.DeleteSIPTrunkRequest) -> sip_pb.SIPTrunkInfo:
        self.inbound.pop(delete.sip_trunk_id, None)
        self.outbound.pop(delete.sip_trunk_id, None)
        self.writes.append("delete trunk")
        return sip_pb.SIPTrunkInfo(sip_trunk_id=delete.sip_trunk_id)

    async def create_dispatch_rule(
        self, create: sip_pb.CreateSIPDispatchRuleRequest
    ) -> sip_pb.SIPDispatchRuleInfo:
        rule = sip_pb.SIPDispatchRuleInfo()
        rule.CopyFrom(create.dispatch_rule)
        rule.sip_dispatch_rule_id = self._id("SDR")
        self.rules[rule.sip_dispatch_rule_id] = rule
        self.writes.append("create rule")
        return rule

    async def update_dispatch_rule(
        self, rule_id: str, rule: sip_pb.SIPDispatchRuleInfo
    ) -> sip_pb.SIPDispatchRuleInfo:
        stored = sip_pb.SIPDispatchRuleInfo()
        stored.CopyFrom(rule)
        stored.sip_dispatch_rule_id = rule_id
        self.rules[rule_id] = stored
        self.writes.append("update rule")
        return stored


def list_values(items: dict) -> list:  # type: ignore[type-arg]
    return list(items.values())
