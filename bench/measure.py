"""Run a command as a child process and measure it: wall time, CPU time and peak RSS.

On a machine shared with other work the wall time swings with the load; the CPU time (user +
system of the child and its children) does not, so both are reported, with the best and the
median of the repeats.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float  # wall
    cpu: float  # user + system of the child and everything it waited for
    rss_mb: float | None  # peak RSS of the child itself (VmHWM)
    code: int
    stdout: bytes
    stderr_tail: str


@dataclass(frozen=True, slots=True)
class Series:
    runs: tuple[Run, ...]

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.code >= 0 for r in self.runs)

    @property
    def best(self) -> float:
        return min(r.seconds for r in self.runs)

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def best_cpu(self) -> float:
        return min(r.cpu for r in self.runs)

    @property
    def rss_mb(self) -> float | None:
        peaks = [r.rss_mb for r in self.runs if r.rss_mb]
        return max(peaks) if peaks else None

    @property
    def last(self) -> Run:
        return self.runs[-1]


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM of a running process. Not getrusage: a child's ru_maxrss starts from the RSS of
    this (large) process at fork time, which would credit our memory to the child."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        return None
    return None


def run(
    command: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 900,
) -> Run:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        before = os.times()
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=cwd)
        peak: float | None = None
        code: int | None = None
        while code is None:
            if time.perf_counter() - start > timeout:
                child.kill()
                child.wait()
                return Run(timeout, 0.0, peak, -9, b"", f"timed out after {timeout:.0f} s")
            peak = max(peak or 0.0, peak_rss_mb(child.pid) or 0.0) or None
            try:
                code = child.wait(timeout=0.005)
            except subprocess.TimeoutExpired:
                code = None
        seconds = time.perf_counter() - start
        after = os.times()
        cpu = (after.children_user - before.children_user) + (
            after.children_system - before.children_system
        )
        err.seek(0)
        tail = err.read().decode(errors="replace").strip().splitlines()[-1:] or [""]
        out.seek(0)
        return Run(seconds, cpu, peak, code, out.read(), tail[0])


def repeat(
    command: list[str], times: int, before: Callable[[], None] | None = None, **kwargs: object
) -> Series:
    """`times` runs of `command`; `before` (untimed) prepares each one."""
    runs = []
    for _ in range(times):
        if before is not None:
            before()
        result = run(command, **kwargs)  # type: ignore[arg-type]
        runs.append(result)
        if result.code < 0:
            break
    return Series(tuple(runs))


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"
