"""Debian's Chromium under Playwright: headless, fake devices, a synthesized WAV as the microphone."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np
from playwright.async_api import Browser, Page, Playwright

from agent.caller import SAMPLE_RATE, synthesize_utterance

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "e2e"
_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # without these Chromium reaches out to Google's services, and on a closed network its own
    # connections are then refused
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]


def speech_wav(path: Path, script: list[tuple[float, str]], *, tail_s: float = 30.0) -> Path:
    """A WAV of silences and eSpeak phrases: (silence before, text) pairs, then `tail_s` of silence."""
    pieces: list[np.ndarray] = []
    for silence_s, text in script:
        pieces.append(np.zeros(int(silence_s * SAMPLE_RATE), np.int16))
        pieces.append(synthesize_utterance(text).samples.astype(np.int16))
    pieces.append(np.zeros(int(tail_s * SAMPLE_RATE), np.int16))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(np.concatenate(pieces).tobytes())
    return path


async def launch(
    playwright: Playwright, *, microphone: Path | None, allow_microphone: bool = True
) -> Browser:
    """A fresh browser (Playwright gives each launch a new temporary --user-data-dir).

    With `allow_microphone` off there is no fake permission UI, and headless Chromium refuses the
    microphone as a person clicking "Block" would."""
    flags = list(_FLAGS)
    if allow_microphone:
        flags.append("--use-fake-ui-for-media-stream")
    if microphone is not None:
        # played once from the moment the page opens the microphone, not looped
        flags.append(f"--use-file-for-fake-audio-capture={microphone}%noloop")
    return await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=flags)


async def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


ENERGY_PROBE = """
() => {
  // WebAudio analysers on every received audio element: first audible instant and loudest level per identity
  if (window.__energy) return;
  window.__energy = {};
  const roots = () => [document, ...[...document.querySelectorAll('voice-agent-call')].map((e) => e.shadowRoot)];
  const listen = (stream, key) => {
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    // segments: [start, end] of audible stretches, split by 600 ms of quiet
    const entry = (window.__energy[key] = window.__energy[key] || { first: null, max: -120, segments: [] });
    setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += s * s;
      const dbfs = 10 * Math.log10(sum / samples.length + 1e-12);
      entry.max = Math.max(entry.max, dbfs);
      if (dbfs <= -45) return;
      const now = performance.now();
      if (entry.first === null) entry.first = now;
      const last = entry.segments[entry.segments.length - 1];
      if (last && now - last[1] < 600) last[1] = now;
      else entry.segments.push([now, now]);
    }, 10);
  };
  const watch = (element) => {
    element.dataset.watched = '1';
    listen(element.srcObject, element.dataset.identity || element.dataset.role || 'unknown');
  };
  const widget = document.querySelector('voice-agent-call');
  const microphone = setInterval(() => {
    // the caller's own microphone, as the page sends it
    const track = widget && widget.microphone && widget.microphone.mediaStreamTrack;
    if (track) {
      clearInterval(microphone);
      listen(new MediaStream([track]), 'microphone');
    }
  }, 20);
  setInterval(() => {
    for (const root of roots()) {
      if (!root) continue;
      root.querySelectorAll('audio:not([data-watched])').forEach((element) => element.srcObject && watch(element));
    }
  }, 50);
}
"""


async def energy(page: Page) -> dict[str, dict[str, float | None]]:
    return await page.evaluate("() => window.__energy || {}")
