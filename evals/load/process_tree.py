"""CPU and memory of a process tree (the worker: main, forkserver and job processes), sampled in a thread."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass

import psutil

SAMPLE_EVERY_S = 0.5


@dataclass(frozen=True)
class Sample:
    at: float
    cpu_seconds: float
    """CPU time of every process seen so far; one that exited keeps its last reading."""
    rss_bytes: int
    pss_bytes: int
    """Proportional set size: pages shared between job processes (forked from one server) count once."""
    processes: int


@dataclass(frozen=True)
class Usage:
    """A window of samples, in the units the report gives."""

    cpu_percent: float
    """Mean over the window, of one core (200 is both cores of a 2-core machine)."""
    peak_cpu_percent: float
    peak_rss_mb: float
    peak_pss_mb: float
    peak_processes: int


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


class TreeSampler:
    """Samples a process tree every SAMPLE_EVERY_S until stopped."""

    def __init__(self, pid: int) -> None:
        self._root = psutil.Process(pid)
        self._cpu_by_pid: dict[tuple[int, float], float] = {}
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> Sample:
        rss = pss = 0
        processes = _tree(self._root)
        for process in processes:
            try:
                with process.oneshot():
                    times = process.cpu_times()
                    memory = process.memory_full_info()
                    # keyed with the start time too: a recycled pid is another process
                    self._cpu_by_pid[(process.pid, process.create_time())] = times.user + times.system
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            rss += memory.rss
            pss += getattr(memory, "pss", memory.rss)
        return Sample(time.monotonic(), sum(self._cpu_by_pid.values()), rss, pss, len(processes))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self._sample())
            self._stop.wait(SAMPLE_EVERY_S)

    def latest(self) -> Sample:
        return self.samples[-1] if self.samples else self._sample()

    def usage(self, since: float, until: float) -> Usage:
        window = [s for s in self.samples if since <= s.at <= until]
        if len(window) < 2:
            return Usage(0.0, 0.0, 0.0, 0.0, 0)
        rates = [
            100 * (b.cpu_seconds - a.cpu_seconds) / (b.at - a.at)
            for a, b in itertools.pairwise(window)
            if b.at > a.at
        ]
        span = window[-1].at - window[0].at
        return Usage(
            cpu_percent=round(100 * (window[-1].cpu_seconds - window[0].cpu_seconds) / span, 1),
            peak_cpu_percent=round(max(rates), 1),
            peak_rss_mb=round(max(s.rss_bytes for s in window) / 2**20, 1),
            peak_pss_mb=round(max(s.pss_bytes for s in window) / 2**20, 1),
            peak_processes=max(s.processes for s in window),
        )

    def quiet_cpu_percent(self, seconds: float) -> float | None:
        """Mean CPU over the last `seconds`, or None before there are samples that long."""
        now = time.monotonic()
        window = [s for s in self.samples if s.at >= now - seconds - SAMPLE_EVERY_S]
        if len(window) < 2 or window[-1].at - window[0].at < seconds:
            return None
        return 100 * (window[-1].cpu_seconds - window[0].cpu_seconds) / (window[-1].at - window[0].at)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
