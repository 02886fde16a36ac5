"""`voice-agent callbacks`: the scheduled callbacks for the back office (when, whom, why, message)."""

from __future__ import annotations

import json
import sys

from agent.config import Settings


def print_callbacks(settings: Settings, *, as_json: bool) -> int:
    if settings.business_backend != "sqlite":
        print(
            "voice-agent: callbacks lists the embedded store; with BUSINESS_BACKEND=http, see the CRM",
            file=sys.stderr,
        )
        return 2
    from tools.sqlite_store import SQLiteBackend

    if not settings.store_path.exists():
        rows = []
    else:
        rows = SQLiteBackend(settings.store_path).scheduled_callbacks()
    if as_json:
        json.dump(
            [
                {
                    "callback_id": r.callback_id,
                    "phone": r.phone,
                    "window_start": r.window_start.isoformat(timespec="minutes"),
                    "window_end": r.window_end.isoformat(timespec="minutes"),
                    "reason": r.reason,
                    "message": r.message,
                    "message_audio": r.message_audio,
                    "created_at": r.created_at.isoformat(timespec="seconds"),
                }
                for r in rows
            ],
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
        return 0
    if not rows:
        print(f"no callbacks scheduled (store: {settings.store_path})")
        return 0
    for r in rows:
        window = f"{r.window_start:%a %b %d %H:%M}-{r.window_end:%H:%M}"
        print(f"{r.callback_id}  {window}  {r.phone}  {r.reason}")
        if r.message:
            print(f"    message: {r.message}")
        if r.message_audio:
            print(f"    audio:   {r.message_audio}")
    return 0
