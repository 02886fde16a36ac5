"""The worker's providers under load: the offline stack, or the cloud plugins against loopback stand-ins."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from typing import Literal

from evals.bench_common import BenchInputError

ProviderMode = Literal["offline", "standins"]
PROVIDER_MODES: tuple[ProviderMode, ...] = ("offline", "standins")
STANDINS_PROFILE = "zero"
"""The stand-ins answer as fast as loopback allows: the worker's own cost is under test, and a
cloud profile's ~1.2 s of modelled provider delay would pass the round-trip limit at one call."""


@contextlib.contextmanager
def provider_env(mode: ProviderMode, script: list[str]) -> Iterator[dict[str, str]]:
    """Environment for the worker: nothing for offline; the stand-ins' keys and base URLs otherwise."""
    if mode == "offline":
        yield {}
        return
    try:
        from evals.standins import launch
    except ImportError:
        raise BenchInputError("--providers standins: evals/standins is not available in this tree") from None
    # the STT double cannot do speech recognition: it answers each utterance with the script's next line
    with launch(profile=STANDINS_PROFILE, script=script, stderr=subprocess.DEVNULL) as standins:
        yield dict(standins.env)
