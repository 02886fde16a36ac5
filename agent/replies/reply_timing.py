"""How long a reply takes to be heard on this chain: a per-call estimate that outlives the call.

The quick confirms (quick_confirms.py) play only when the answer is predicted to be late, so the
prediction must be right from a call's first turn. A new call starts from what the last call on
this chain measured, kept in `DATA_DIR/reply-timing.json`; the very first call starts from the
providers' public p50 figures. Each LLM first token and TTS first audio then moves it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger("voice_agent.replies")


@dataclass
class ReplyTimer:
    """Predicts how long after a turn's reply starts generating its first audio is heard.

    Seeded from the chain's published first-token and first-audio figures, then an exponentially
    weighted mean of this call's own measurements (LiveKit's LLM and TTS metrics), so a call whose
    provider failed over to the offline stack stops confirming.
    """

    llm_first_token_s: float
    tts_first_audio_s: float
    first_clause_s: float = 0.1
    """Tokens from the first one to a speakable first clause, at 60-100 tokens a second."""
    weight: float = 0.3

    def observe_llm(self, ttft_s: float) -> None:
        if ttft_s > 0:
            self.llm_first_token_s += self.weight * (ttft_s - self.llm_first_token_s)

    def observe_tts(self, ttfb_s: float) -> None:
        if ttfb_s > 0:
            self.tts_first_audio_s += self.weight * (ttfb_s - self.tts_first_audio_s)

    def remaining_s(self, generating_for_s: float) -> float:
        """Predicted wait from now to the answer's first audio, for a reply generating this long."""
        expected = self.llm_first_token_s + self.first_clause_s + self.tts_first_audio_s
        return max(0.0, expected - max(0.0, generating_for_s))


def timer_for_chain(chain: str) -> ReplyTimer:
    """The prior for a provider chain ("llm=openai>offline tts=openai>offline"): the cloud's public
    p50 figures (gpt-4.1 first token 683 ms, OpenAI TTS first audio 400 ms), or the offline stack's."""
    cloud_llm = "llm=openai" in chain
    cloud_tts = "tts=openai" in chain
    return ReplyTimer(
        llm_first_token_s=0.68 if cloud_llm else 0.15,
        tts_first_audio_s=0.40 if cloud_tts else 0.08,
    )


def load_timer(path: Path | None, chain: str) -> ReplyTimer:
    """The last measured timing for `chain`, or the public prior when there is none (or it is unreadable)."""
    timer = timer_for_chain(chain)
    if path is None:
        return timer
    try:
        kept = json.loads(path.read_text()).get(chain)
        llm_s, tts_s = float(kept["llm_first_token_s"]), float(kept["tts_first_audio_s"])
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return timer
    if 0 <= llm_s < 30 and 0 <= tts_s < 30:
        timer.llm_first_token_s, timer.tts_first_audio_s = llm_s, tts_s
    return timer


def save_timer(path: Path | None, chain: str, timer: ReplyTimer) -> None:
    """Keeps `timer` for the next call on `chain`, written aside and renamed in (calls run side by side)."""
    if path is None:
        return
    try:
        document = json.loads(path.read_text()) if path.is_file() else {}
        if not isinstance(document, dict):
            document = {}
    except (OSError, ValueError):
        document = {}
    document[chain] = {
        "llm_first_token_s": round(timer.llm_first_token_s, 4),
        "tts_first_audio_s": round(timer.tts_first_audio_s, 4),
    }
    out_name: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as out:
            out_name = out.name
            json.dump(document, out)
        os.replace(out_name, path)
    except OSError as error:
        logger.warning("could not keep the reply timing", extra={"error": type(error).__name__})
        if out_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(out_name)
