"""The scheduled callbacks as the operator console shows them: when, whom, why, and the message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.config import Settings


def _store(settings: Settings) -> Any:
    from tools.sqlite_store import SQLiteBackend

    return SQLiteBackend(settings.store_path)


def list_callbacks(settings: Settings) -> list[dict[str, Any]]:
    """Soonest window first; the recording is offered by URL, never by its path on this machine."""
    if settings.business_backend != "sqlite" or not settings.store_path.exists():
        return []
    return [
        {
            "callback_id": row.callback_id,
            "phone": row.phone,
            "window_start": row.window_start.isoformat(timespec="minutes"),
            "window_end": row.window_end.isoformat(timespec="minutes"),
            "reason": row.reason,
            "message": row.message,
            "audio_url": f"/api/operator/callbacks/{row.callback_id}/audio" if row.message_audio else None,
            "created_at": row.created_at.isoformat(timespec="seconds"),
        }
        for row in _store(settings).scheduled_callbacks()
    ]


def recording_path(settings: Settings, callback_id: str) -> Path | None:
    """The WAV of one callback's message, only if it lies in the voicemail folder."""
    if settings.business_backend != "sqlite" or not settings.store_path.exists():
        return None
    for row in _store(settings).scheduled_callbacks():
        if row.callback_id == callback_id and row.message_audio:
            path = Path(row.message_audio).resolve()
            folder = settings.voicemail_dir.resolve()
            return path if folder in path.parents and path.is_file() else None
    return None
