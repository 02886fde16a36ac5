"""The `voice-agent sip setup [--dry-run]` command: provision, print each change, exit code."""

from __future__ import annotations

import asyncio
import json
import sys

import aiohttp
from livekit import api

from agent.config import Settings
from agent.livekit_api import server_api
from agent.telephony.provisioning import Change, Provisioner


async def provision(settings: Settings, *, dry_run: bool) -> list[Change]:
    lkapi = server_api(settings)
    try:
        return await Provisioner(lkapi.sip, settings, dry_run=dry_run).run()
    finally:
        await lkapi.aclose()


def run_sip_setup(settings: Settings, *, dry_run: bool, as_json: bool) -> int:
    try:
        changes = asyncio.run(provision(settings, dry_run=dry_run))
    except (api.TwirpError, aiohttp.ClientError, OSError) as exc:
        print(f"voice-agent: sip setup against {settings.livekit_url} failed: {exc}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps({"dry_run": dry_run, "changes": [change.__dict__ for change in changes]}, indent=2))
        return 0
    prefix = "would " if dry_run else ""
    for change in changes:
        print(prefix + change.line() if change.action != "keep" else change.line())
    if all(change.action == "keep" for change in changes):
        print("sip setup: everything already matches the settings; nothing changed")
    return 0
