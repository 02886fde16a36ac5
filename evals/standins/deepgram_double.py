"""DeepgramStandIn: a test double of Deepgram's streaming /v1/listen WebSocket, scripted, onset by energy."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import time
import uuid
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from evals.standins.energy import EnergyDetector
from evals.standins.script import ScriptCursor
from evals.standins.state import StandInState

logger = logging.getLogger("standins.deepgram")

MODEL_UUID = "00000000-0000-0000-0000-test-double"
FINALIZE_QUIET_S = 0.1
"""Quiet since the last loud frame for a Finalize to find the caller done with the line; a
Finalize while louder audio still arrives comes mid-utterance (LiveKit flushes after its own
VAD's end of speech, 0.3 s of silence, so only a caller who resumed or never paused is loud)."""


def _flag(request: web.Request, name: str, default: bool) -> bool:
    value = request.query.get(name)
    return default if value is None else value.lower() == "true"


def _words(text: str, start_s: float, end_s: float) -> list[dict[str, object]]:
    """Word timings spread evenly over the utterance: enough for the plugin's start/end times."""
    tokens = text.split()
    step = (end_s - start_s) / max(1, len(tokens))
    return [
        {
            "word": token.strip(".,?!;:").lower(),
            "start": round(start_s + i * step, 3),
            "end": round(start_s + (i + 1) * step, 3),
            "confidence": 0.99,
            "punctuated_word": token,
        }
        for i, token in enumerate(tokens)
    ]


@dataclass
class _Utterance:
    text: str
    onset_audio_s: float
    onset_wall: float
    revealed: int = 0
    finalized: int = 0
    """Words already sent in a final: a Finalize mid-utterance finalizes the words so far, and
    the rest of the same script line follows in later results (the script does not move on)."""
    ended: bool = False
    final_sent: bool = False
    interim_task: asyncio.Task[None] | None = None
    final_task: asyncio.Task[None] | None = None
    final_due: float = float("inf")
    """Wall time (monotonic) the pending end-of-utterance final goes out."""

    @property
    def words(self) -> list[str]:
        return self.text.split()

    @property
    def rest(self) -> str:
        """The words of the line not yet sent in a final."""
        return " ".join(self.words[self.finalized :])


@dataclass
class _Connection:
    """One WebSocket: its options, detector, script cursor and the utterance being heard."""

    state: StandInState
    ws: web.WebSocketResponse
    request: web.Request
    fault: str
    cursor: ScriptCursor
    detector: EnergyDetector
    sample_rate: int
    channels: int
    interim_results: bool
    vad_events: bool
    utterance_end_ms: int | None
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    audio_s: float = 0.0
    current: _Utterance | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    outbox: asyncio.Queue[dict[str, object]] = field(default_factory=asyncio.Queue)
    aborted: bool = False

    def spawn(self, coro: object) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def wall_at(self, audio_s: float) -> float:
        """Wall time a point of the stream's audio arrived: audio comes in (about) real time."""
        return time.monotonic() - (self.audio_s - audio_s)

    async def send(self, message: dict[str, object]) -> None:
        if self.fault == "slow-drip":
            await self.outbox.put(message)
            return
        await self._write(message)

    async def drip(self) -> None:
        """Slow-drip: one message per drip interval, each at least that long after it was due."""
        interval = self.state.drip.interval_ms / 1000
        while True:
            message = await self.outbox.get()
            await asyncio.sleep(interval)
            await self._write(message)

    async def _write(self, message: dict[str, object]) -> None:
        if self.ws.closed or self.aborted:
            return
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self.ws.send_str(json.dumps(message))
        if self.fault == "disconnect" and message.get("type") == "Results":
            # mid-stream: a result went out, then the TCP connection drops without a close frame
            logger.info("DeepgramStandIn: injected disconnect after the first result")
            self.aborted = True
            if self.request.transport is not None:
                self.request.transport.abort()

    def results(
        self,
        utterance: _Utterance,
        text: str,
        *,
        final: bool,
        from_finalize: bool = False,
        speech_final: bool | None = None,
    ) -> dict:
        end_s = (
            self.audio_s if not utterance.ended else max(utterance.onset_audio_s, self.detector.last_loud_s)
        )
        return {
            "type": "Results",
            "channel_index": [0, 1],
            "duration": round(max(0.0, end_s - utterance.onset_audio_s), 3),
            "start": round(utterance.onset_audio_s, 3),
            "is_final": final,
            "speech_final": final if speech_final is None else speech_final,
            "from_finalize": from_finalize,
            "channel": {
                "alternatives": [
                    {
                        "transcript": text,
                        "confidence": 0.99 if text else 0.0,
                        "words": _words(text, utterance.onset_audio_s, end_s) if text else [],
                    }
                ]
            },
            "metadata": {
                "request_id": self.request_id,
                "model_info": {"name": "test-double", "version": "0", "arch": "nova-3"},
                "model_uuid": MODEL_UUID,
            },
        }


class DeepgramStandIn:
    """Test double of Deepgram live transcription. It cannot recognise speech: it detects utterances by
    energy and answers each with the next line of the script, revealed word by word in interim results."""

    def __init__(self, state: StandInState) -> None:
        self.state = state

    async def handle(self, request: web.Request) -> web.StreamResponse:
        stats = self.state.stats["stt"]
        stats.requests += 1
        fault = self.state.faults.get("stt")
        if fault != "none":
            stats.faulted += 1
        logger.info("DeepgramStandIn: connection opened (fault=%s)", fault)
        if fault == "5xx":
            return web.json_response(
                {"err_code": "INTERNAL_SERVER_ERROR", "err_msg": "test double: injected 5xx"}, status=503
            )
        try:
            sample_rate = int(request.query.get("sample_rate", "16000"))
            channels = int(request.query.get("channels", "1"))
            utterance_end = request.query.get("utterance_end_ms")
            utterance_end_ms = int(utterance_end) if utterance_end else None
        except ValueError:
            return web.json_response({"err_code": "Bad Request", "err_msg": "malformed query"}, status=400)
        if request.query.get("encoding", "linear16") != "linear16":
            return web.json_response(
                {"err_code": "Bad Request", "err_msg": "test double: linear16 only"}, status=400
            )

        ws = web.WebSocketResponse(autoping=True)
        ws.headers["dg-request-id"] = str(uuid.uuid4())
        await ws.prepare(request)
        conn = _Connection(
            state=self.state,
            ws=ws,
            request=request,
            fault=fault,
            cursor=self.state.script.cursor(),
            detector=EnergyDetector(
                sample_rate, end_silence_ms=self.state.profile.stt_end_silence_ms, channels=channels
            ),
            sample_rate=sample_rate,
            channels=channels,
            interim_results=_flag(request, "interim_results", False),
            vad_events=_flag(request, "vad_events", False),
            utterance_end_ms=utterance_end_ms,
        )
        if fault == "slow-drip":
            conn.spawn(conn.drip())
        try:
            await self._serve(conn)
        finally:
            for task in list(conn.tasks):
                task.cancel()
            await asyncio.gather(*conn.tasks, return_exceptions=True)
            logger.info("DeepgramStandIn: connection closed")
        return ws

    async def _serve(self, conn: _Connection) -> None:
        async for msg in conn.ws:
            if msg.type == WSMsgType.BINARY:
                if conn.fault == "hang":
                    continue  # connected, reading, silent: what the STT watchdog exists for
                self._on_audio(conn, msg.data)
            elif msg.type == WSMsgType.TEXT:
                if conn.fault == "hang":
                    continue
                kind = _message_type(msg.data)
                if kind == "Finalize":
                    self._finalize(conn)
                elif kind == "CloseStream":
                    await self._close(conn)
                    await conn._write(self._metadata(conn))
                    await conn.ws.close()
                    return
                # KeepAlive needs no answer
            elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                return

    def _on_audio(self, conn: _Connection, pcm: bytes) -> None:
        conn.audio_s += len(pcm) / (2 * conn.channels * conn.sample_rate)
        for event in conn.detector.push(pcm):
            if event.kind == "onset":
                self._on_onset(conn, event.audio_s)
            elif conn.current is not None and not conn.current.final_sent:
                self._on_end(conn, conn.current)

    def _on_onset(self, conn: _Connection, audio_s: float) -> None:
        logger.debug("DeepgramStandIn: speech onset at %.2f s of audio", audio_s)
        utterance = _Utterance(conn.cursor.next_text(), audio_s, conn.wall_at(audio_s))
        conn.current = utterance
        if conn.vad_events:
            conn.spawn(
                conn.send({"type": "SpeechStarted", "channel": [0, 1], "timestamp": round(audio_s, 3)})
            )
        if conn.interim_results:
            utterance.interim_task = conn.spawn(self._interims(conn, utterance))

    async def _interims(self, conn: _Connection, utterance: _Utterance) -> None:
        profile = self.state.profile
        first_at = utterance.onset_wall + self.state.delay_s(profile.stt_interim_ms)
        await asyncio.sleep(max(0.0, first_at - time.monotonic()))
        # reveal the script's words one by one, the final result brings the last; like Deepgram, keep
        # sending the hypothesis while speech goes on, even unchanged (the STT watchdog counts on it)
        while not utterance.ended:
            most = max(utterance.finalized + 1, len(utterance.words) - 1)
            utterance.revealed = min(utterance.revealed + 1, most, len(utterance.words))
            # after a Finalize mid-utterance, a hypothesis covers only the words since
            text = " ".join(utterance.words[utterance.finalized : utterance.revealed])
            if text:
                await conn.send(conn.results(utterance, text, final=False))
            await asyncio.sleep(profile.stt_interim_every_ms / 1000)

    def _on_end(self, conn: _Connection, utterance: _Utterance) -> None:
        logger.debug("DeepgramStandIn: speech end at %.2f s of audio", conn.detector.last_loud_s)
        utterance.ended = True
        if utterance.interim_task is not None:
            utterance.interim_task.cancel()
        due = conn.wall_at(conn.detector.last_loud_s) + self.state.delay_s(self.state.profile.stt_final_ms)
        self._schedule_final(conn, utterance, due, from_finalize=False)

    def _schedule_final(
        self, conn: _Connection, utterance: _Utterance, due: float, *, from_finalize: bool
    ) -> None:
        """The end-of-utterance final at `due`, unless one is already due sooner."""
        if utterance.final_task is not None and not utterance.final_task.done():
            if utterance.final_due <= due:
                return
            utterance.final_task.cancel()
        utterance.final_due = due
        utterance.final_task = conn.spawn(self._final_at(conn, utterance, due, from_finalize=from_finalize))

    async def _final_at(
        self, conn: _Connection, utterance: _Utterance, due: float, *, from_finalize: bool
    ) -> None:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        await self._send_final(conn, utterance, from_finalize=from_finalize)

    async def _send_final(self, conn: _Connection, utterance: _Utterance, *, from_finalize: bool) -> None:
        if utterance.final_sent:
            return
        utterance.final_sent = True
        utterance.ended = True
        if utterance.interim_task is not None:
            utterance.interim_task.cancel()
        # the words a mid-utterance Finalize already sent are not sent again (possibly none are left)
        rest, utterance.finalized = utterance.rest, len(utterance.words)
        await conn.send(conn.results(utterance, rest, final=True, from_finalize=from_finalize))
        self.state.stats["stt"].completed += 1
        self.state.stats["stt"].finalized += from_finalize
        self.state.recent_transcripts.append(utterance.text)
        if conn.utterance_end_ms is not None:
            await asyncio.sleep(conn.utterance_end_ms / 1000)
            await conn.send(
                {
                    "type": "UtteranceEnd",
                    "channel": [0, 1],
                    "last_word_end": round(conn.detector.last_loud_s, 3),
                }
            )

    def _finalize(self, conn: _Connection) -> None:
        """Finalize: what was heard so far is final, after the profile's processing time.

        Deepgram answers a Finalize without waiting for its endpointing silence, but not at once:
        the final comes `stt_final_ms` after the request (the same processing time its endpointed
        finals take after the silence). An utterance the caller is still speaking is finalized up
        to the words heard so far; the rest of that script line follows in later results, and the
        next onset within the line takes no new line, so the script never runs ahead of the caller."""
        utterance = conn.current
        if utterance is None or utterance.final_sent:
            return
        due = time.monotonic() + self.state.delay_s(self.state.profile.stt_final_ms)
        if utterance.ended or conn.audio_s - conn.detector.last_loud_s >= FINALIZE_QUIET_S:
            # the caller is quiet: the whole line is heard, ahead of the energy end's silence. As
            # after Deepgram's Finalize, what the caller says next is a new utterance (a new line)
            utterance.ended = True
            conn.detector.end_speech()
            if utterance.interim_task is not None:
                utterance.interim_task.cancel()
            self._schedule_final(conn, utterance, due, from_finalize=True)
            return
        heard = utterance.words[utterance.finalized : utterance.revealed]
        utterance.finalized = max(utterance.finalized, utterance.revealed)
        conn.spawn(self._partial_final_at(conn, utterance, " ".join(heard), due))

    async def _partial_final_at(
        self, conn: _Connection, utterance: _Utterance, text: str, due: float
    ) -> None:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        # speech goes on: is_final without speech_final, as Deepgram marks a finalize mid-speech
        await conn.send(conn.results(utterance, text, final=True, from_finalize=True, speech_final=False))

    async def _close(self, conn: _Connection) -> None:
        """CloseStream: whatever was heard is final now, before the Metadata and the close."""
        utterance = conn.current
        if utterance is None or utterance.final_sent:
            return
        for task in (utterance.interim_task, utterance.final_task):
            if task is not None:
                task.cancel()
        await self._send_final(conn, utterance, from_finalize=True)

    def _metadata(self, conn: _Connection) -> dict[str, object]:
        return {
            "type": "Metadata",
            "transaction_key": "deprecated",
            "request_id": conn.request_id,
            "sha256": "",
            "created": dt.datetime.now(dt.UTC).isoformat(),
            "duration": round(conn.audio_s, 3),
            "channels": conn.channels,
            "models": [MODEL_UUID],
            "model_info": {MODEL_UUID: {"name": "test-double", "version": "0", "arch": "nova-3"}},
        }


def _message_type(data: str) -> str:
    try:
        message = json.loads(data)
    except json.JSONDecodeError:
        return ""
    return str(message.get("type", "")) if isinstance(message, dict) else ""
