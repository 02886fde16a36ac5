"""The reply's audio output, held while the caller makes a sound and released when they stop.

A link in LiveKit's audio output chain, above the room's output. Two things hold the reply:

- LiveKit's own pause (Silero says "speech"; a final transcript or its resume timer settles it);
- the energy gate (`agent/turns/energy_gate.py`), which opens ~100 ms before Silero and closes
  ~0.2 s sooner.

The reply plays only when neither holds it, with one exception that is the point of the gate: when
the caller's sound ends before `acknowledgement_max_s`, it may be an "uh-huh", so the gate's
"quiet" releases LiveKit's pause too. If it was not one, nothing is lost: Silero's speech end still
arms LiveKit's resume, and a final transcript with words still ends the reply (`BargeInTimer` and
the backchannel filter are unchanged). A sound longer than any acknowledgement leaves LiveKit's
pause in force: the caller is taking the floor, and their words decide.

On every pause the room's 200 ms queue is dropped at once, where LiveKit waits for its next 50 ms
frame to do it (`room_io/_output.py`); the accounting is LiveKit's own, so what the transcript says
was heard stays right.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from livekit import rtc
from livekit.agents.voice import io
from livekit.agents.voice.room_io._output import _ParticipantAudioOutput

logger = logging.getLogger("agent.turns")


class GatedAudioOutput(io.AudioOutput):
    def __init__(
        self,
        next_in_chain: io.AudioOutput,
        *,
        acknowledgement_max_s: float,
        may_hold: Callable[[], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            label="BargeInGate",
            capabilities=io.AudioOutputCapabilities(pause=True),
            next_in_chain=next_in_chain,
            sample_rate=next_in_chain.sample_rate,
        )
        self._acknowledgement_max_s = acknowledgement_max_s
        self._may_hold = may_hold
        self._clock = clock
        self._livekit_paused = False
        self._caller_sounding = False
        self._sound_started_at = 0.0
        self._released_livekit_pause = False
        self._paused = False

    @property
    def next(self) -> io.AudioOutput:
        assert self.next_in_chain is not None
        return self.next_in_chain

    # the energy gate's side

    def caller_sound(self, sounding: bool) -> None:
        """The gate opened (True) or closed (False)."""
        if sounding:
            if not (self._may_hold() or self._livekit_paused or self._paused):
                return  # no reply is playing or paused (or barge-in is off): nothing to hold
            self._caller_sounding = True
            self._sound_started_at = self._clock()
            self._released_livekit_pause = False
        elif self._caller_sounding:
            self._caller_sounding = False
            lasted = self._clock() - self._sound_started_at
            # short enough to be an acknowledgement: play on; Silero and the words still end it
            self._released_livekit_pause = lasted < self._acknowledgement_max_s
        self._apply()

    # LiveKit's side

    def pause(self) -> None:
        if not self._livekit_paused:
            self._livekit_paused = True
            if not self._caller_sounding:
                # Silero heard a sound the gate did not (a soft voice under its threshold): Silero's
                # pause stands, as it would without the gate
                self._released_livekit_pause = False
        self._apply()

    def resume(self) -> None:
        self._livekit_paused = False
        self._released_livekit_pause = False
        self._apply()

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        await self.next.capture_frame(frame)

    def flush(self) -> None:
        super().flush()
        self.next.flush()

    def clear_buffer(self) -> None:
        # the reply is over (interrupted): a later reply starts unheld by this one's sound
        self._caller_sounding = False
        self._released_livekit_pause = False
        self.next.clear_buffer()

    def _apply(self) -> None:
        hold = self._caller_sounding or (self._livekit_paused and not self._released_livekit_pause)
        if hold == self._paused:
            return
        self._paused = hold
        logger.debug("reply held" if hold else "reply released", extra={"at": round(time.time(), 3)})
        if hold:
            self.next.pause()
            drop_room_queue(self.next)
        else:
            self.next.resume()


def room_output(output: io.AudioOutput) -> _ParticipantAudioOutput | None:
    """The room's output at the bottom of the chain, if that is what the chain ends in."""
    while output.next_in_chain is not None:
        output = output.next_in_chain
    return output if isinstance(output, _ParticipantAudioOutput) else None


def drop_room_queue(output: io.AudioOutput) -> None:
    """Silence a paused room output now, not at its next frame, booking the dropped audio as LiveKit
    does when it drops the queue itself (so the next run resumes past it)."""
    leaf = room_output(output)
    if leaf is None:
        return
    queued = leaf._audio_source.queued_duration
    if queued <= 0:
        return
    leaf._source_discarded_duration += queued
    leaf._report_run(
        offset=leaf._source_pushed_duration - queued,
        ended_at=time.time(),
        resumes_at=leaf._source_pushed_duration,
    )
    leaf._audio_source.clear_queue()
