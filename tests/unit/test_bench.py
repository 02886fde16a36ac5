"""Benchmark plumbing: percentiles, the test-set generator, and bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agent.audio import read_wav
from evals.bench_common import BenchInputError, find_clips, percentile
from evals.testset import generate


def test_nearest_rank_percentiles() -> None:
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert percentile(values, 0.5) == 10.0
    assert percentile(values, 0.95) == 19.0
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([], 0.5) is None


def test_testset_has_telephone_and_wideband_clips_with_timings(tmp_path: Path) -> None:
    count = generate(tmp_path, limit=6, progress=lambda _: None)
    clips = find_clips(tmp_path)
    assert count == len(clips) == 6
    rates = {read_wav(c.wav, target_rate=read_rate(c.wav)).sample_rate for c in clips}
    assert rates <= {8000, 16000} and rates
    for clip in clips:
        assert clip.text
        assert clip.speech_start_s is not None and clip.speech_end_s is not None
        assert 0.5 < clip.speech_start_s < clip.speech_end_s


def read_rate(path: Path) -> int:
    import wave

    with wave.open(str(path), "rb") as wav:
        return wav.getframerate()


def test_clips_without_transcripts_are_rejected(tmp_path: Path) -> None:
    generate(tmp_path, limit=1, progress=lambda _: None)
    next(tmp_path.glob("*.txt")).unlink()
    with pytest.raises(BenchInputError, match="has no transcript"):
        find_clips(tmp_path)


def test_bench_tts_prints_json() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "agent.cli", "bench", "tts"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["benchmark"] == "tts" and report["first_audio"]["count"] == 5


def test_bench_on_a_missing_directory_is_one_line_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "agent.cli", "bench", "stt", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "not a directory" in result.stderr


@pytest.mark.parametrize(
    ("timing", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected an object"),
        ('{"speech_start_s": "soon"}', "speech_start_s must be a number"),
    ],
)
def test_malformed_timing_files_are_one_clear_error(tmp_path: Path, timing: str, message: str) -> None:
    generate(tmp_path, limit=1, progress=lambda _: None)
    next(tmp_path.glob("*.json")).write_text(timing)
    with pytest.raises(BenchInputError, match=message):
        find_clips(tmp_path)


def test_generated_clips_name_their_condition(tmp_path: Path) -> None:
    generate(tmp_path, limit=4, progress=lambda _: None)
    for clip in find_clips(tmp_path):
        assert clip.condition in {"16k-clean", "16k-noisy", "8k-clean", "8k-noisy"}
        assert clip.condition.split("-")[0] in clip.name


def test_wer_is_reported_per_condition() -> None:
    from evals.bench_stt import _wer_by_condition

    results = [
        {"condition": "8k-noisy", "reference": "my sink is leaking", "hypothesis": "my sink is reeking"},
        {"condition": "16k-clean", "reference": "call me back", "hypothesis": "Call me back."},
    ]
    assert _wer_by_condition(results) == {"16k-clean": 0.0, "8k-noisy": 0.25}
