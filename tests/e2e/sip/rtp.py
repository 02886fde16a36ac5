"""A phone's media side for the SIP tests: G.711 µ-law RTP out in real time, RTP in recorded with arrival times."""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

SAMPLE_RATE = 8000
FRAME_SAMPLES = 160  # 20 ms, the usual telephone packetisation
FRAME_S = FRAME_SAMPLES / SAMPLE_RATE
PCMU = 0
AUDIBLE_DBFS = -40.0

_BIAS = 0x84
_CLIP = 32635


def ulaw_encode(samples: np.ndarray) -> bytes:
    """G.711 µ-law, the standard segment encoding."""
    pcm = np.clip(samples.astype(np.int32), -_CLIP, _CLIP)
    sign = np.where(pcm < 0, 0x80, 0)
    magnitude = np.abs(pcm) + _BIAS
    exponent = np.clip(np.floor(np.log2(magnitude)).astype(np.int32) - 7, 0, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return (~(sign | (exponent << 4) | mantissa) & 0xFF).astype(np.uint8).tobytes()


def ulaw_decode(payload: bytes) -> np.ndarray:
    code = ~np.frombuffer(payload, dtype=np.uint8).astype(np.int32) & 0xFF
    sign = code & 0x80
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


def level_dbfs(samples: np.ndarray) -> float:
    if samples.size == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(np.square(samples.astype(np.float64)))))
    return 20.0 * np.log10(max(rms, 1e-6) / 32768.0)


@dataclass
class Received:
    """One RTP packet from the far end, decoded, with when it arrived (monotonic)."""

    at: float
    payload_type: int
    samples: np.ndarray


@dataclass
class RtpPhone:
    """Binds a loopback UDP port; once the far end's address is known, sends a frame every 20 ms
    (queued speech, else silence, else a DTMF event) and records everything that comes back."""

    port: int = 0
    dtmf_payload_type: int = 101
    received: list[Received] = field(default_factory=list)
    _queue: deque[tuple[str, object]] = field(default_factory=deque)
    _remote: tuple[str, int] | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    last_speech_sent_at: float = 0.0
    """Monotonic time the last audible frame of the last utterance went out."""
    speech_done: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", self.port))
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self._threads = [
            threading.Thread(target=self._receive, daemon=True),
            threading.Thread(target=self._send, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def connect(self, remote_port: int, remote_host: str = "127.0.0.1") -> None:
        self._remote = (remote_host, remote_port)

    def say(self, samples: np.ndarray) -> None:
        """Queue 8 kHz int16 speech; `speech_done` is set once its last frame is sent."""
        self.speech_done.clear()
        padded = np.concatenate([samples, np.zeros((-samples.size) % FRAME_SAMPLES, dtype=np.int16)])
        for start in range(0, padded.size, FRAME_SAMPLES):
            self._queue.append(("audio", padded[start : start + FRAME_SAMPLES]))
        self._queue.append(("done", None))

    def press(self, digit: str, duration_s: float = 0.16) -> None:
        """An RFC 4733 telephone event, as a phone keypad sends it."""
        self._queue.append(("dtmf", (digit, duration_s)))

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(2)
        self._sock.close()

    # --- received audio ------------------------------------------------------------

    def audio_since(self, since: float) -> list[Received]:
        return [
            packet for packet in list(self.received) if packet.at >= since and packet.payload_type == PCMU
        ]

    def first_audible_after(self, since: float) -> float | None:
        for packet in self.audio_since(since):
            if level_dbfs(packet.samples) >= AUDIBLE_DBFS:
                return packet.at
        return None

    def wait_for_audible(self, since: float, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.first_audible_after(since)
            if found is not None:
                return found
            time.sleep(0.02)
        return None

    def wait_for_quiet(self, since: float, quiet_s: float, timeout: float) -> float:
        """When the far end's speech after `since` ended: `quiet_s` with no audible packet."""
        deadline = time.monotonic() + timeout
        last_audible = since
        while time.monotonic() < deadline:
            for packet in self.audio_since(last_audible):
                if level_dbfs(packet.samples) >= AUDIBLE_DBFS:
                    last_audible = packet.at
            if time.monotonic() - last_audible >= quiet_s:
                return last_audible
            time.sleep(0.05)
        return last_audible

    def recording(self, since: float = 0.0) -> np.ndarray:
        packets = self.audio_since(since)
        return np.concatenate([p.samples for p in packets]) if packets else np.zeros(0, dtype=np.int16)

    # --- threads -------------------------------------------------------------------

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                data, _addr = self._sock.recvfrom(2048)
            except (TimeoutError, OSError):
                continue
            if len(data) < 12:
                continue
            payload_type = data[1] & 0x7F
            csrc = (data[0] & 0x0F) * 4
            payload = data[12 + csrc :]
            samples = ulaw_decode(payload) if payload_type == PCMU else np.zeros(0, dtype=np.int16)
            self.received.append(Received(time.monotonic(), payload_type, samples))

    def _send(self) -> None:
        seq = random.randrange(1 << 16)
        timestamp = random.randrange(1 << 32)
        ssrc = random.randrange(1 << 32)
        silence = np.zeros(FRAME_SAMPLES, dtype=np.int16)
        next_at = time.monotonic()
        marker = True
        while not self._stop.is_set():
            next_at += FRAME_S
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if self._remote is None:
                continue
            kind, item = self._queue.popleft() if self._queue else ("audio", silence)
            if kind == "done":
                self.speech_done.set()
                kind, item = "audio", silence
            if kind == "dtmf":
                digit, duration_s = item  # type: ignore[misc]
                seq, timestamp = self._send_dtmf(str(digit), float(duration_s), seq, timestamp, ssrc)
                next_at = time.monotonic()
                continue
            samples = item if isinstance(item, np.ndarray) else silence
            header = struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | PCMU, seq, timestamp, ssrc)
            self._sendto(header + ulaw_encode(samples))
            if level_dbfs(samples) >= AUDIBLE_DBFS:
                self.last_speech_sent_at = time.monotonic()
            marker = False
            seq = (seq + 1) & 0xFFFF
            timestamp = (timestamp + FRAME_SAMPLES) & 0xFFFFFFFF

    def _send_dtmf(
        self, digit: str, duration_s: float, seq: int, timestamp: int, ssrc: int
    ) -> tuple[int, int]:
        event = "0123456789*#".index(digit)
        steps = max(1, int(duration_s / FRAME_S))
        for step in range(1, steps + 4):
            end = step >= steps
            duration = min(step, steps) * FRAME_SAMPLES
            marker = 0x80 if step == 1 else 0
            header = struct.pack("!BBHII", 0x80, marker | self.dtmf_payload_type, seq, timestamp, ssrc)
            self._sendto(header + struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration))
            seq = (seq + 1) & 0xFFFF
            time.sleep(FRAME_S)
        return seq, (timestamp + steps * FRAME_SAMPLES) & 0xFFFFFFFF

    def _sendto(self, packet: bytes) -> None:
        if self._remote is not None:
            with contextlib.suppress(OSError):
                self._sock.sendto(packet, self._remote)
