"""bench latency's arguments: a bad one is one clear line and exit 2, before anything starts."""

from pathlib import Path

import pytest

from agent.cli import main
from evals.bench_common import BenchInputError
from evals.latency.cli_args import check_options

KNOWN = ["cloud", "cloud-p50", "cloud-p95", "zero"]


def test_the_stand_ins_default_to_the_p50_profile() -> None:
    options = check_options("standins", None, 2, None, known=KNOWN)
    assert (options.providers, options.profile, options.calls) == ("standins", "cloud-p50", 2)


def test_the_offline_stack_is_named_offline_and_takes_no_profile() -> None:
    assert check_options("offline", None, 1, None, known=KNOWN).profile == "offline"
    with pytest.raises(BenchInputError, match="--profile"):
        check_options("offline", "zero", 1, None, known=KNOWN)


@pytest.mark.parametrize(
    ("providers", "profile", "calls", "message"),
    [
        ("cloud", None, 1, "--providers"),
        ("standins", "fast", 1, "unknown --profile 'fast'"),
        ("standins", "zero", 0, "--calls"),
        ("standins", "zero", 51, "--calls"),
    ],
)
def test_bad_options_name_what_is_wrong(
    providers: str, profile: str | None, calls: int, message: str
) -> None:
    with pytest.raises(BenchInputError, match=message):
        check_options(providers, profile, calls, None, known=KNOWN)


def test_out_must_be_a_directory(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("")
    with pytest.raises(BenchInputError, match="--out"):
        check_options("standins", "zero", 1, a_file, known=KNOWN)
    assert check_options("standins", "zero", 1, tmp_path / "new", known=KNOWN).out_dir == tmp_path / "new"


@pytest.mark.parametrize(
    "argv",
    [
        ["--profile", "nope"],
        ["--calls", "0"],
        ["--calls", "two"],
        ["--providers", "offline", "--profile", "zero"],
    ],
)
def test_the_command_exits_2_with_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "latency", *argv, "--json"])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert "Traceback" not in captured.err
