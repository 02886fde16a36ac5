"""A pass-through of the STT's events that shows each final transcript to a listener on the way."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable

from livekit.agents import stt


async def tap_finals(
    events: AsyncIterable[stt.SpeechEvent | str], on_final: Callable[[stt.SpeechData], None]
) -> AsyncIterator[stt.SpeechEvent | str]:
    """`events`, unchanged; `on_final` sees the first alternative of each final transcript."""
    async for event in events:
        if (
            isinstance(event, stt.SpeechEvent)
            and event.type == stt.SpeechEventType.FINAL_TRANSCRIPT
            and event.alternatives
        ):
            on_final(event.alternatives[0])
        yield event
