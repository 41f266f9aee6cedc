"""`make fuzz`: run every harness for a fixed time and print executions per harness.

python tests/fuzz/run.py [--seconds N] [HARNESS...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from harnesses import HARNESSES, corpus
from hypothesis import HealthCheck, given, settings

BATCH = settings(
    max_examples=500,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def fuzz(name: str, seconds: float) -> int:
    strategy, harness = HARNESSES[name]
    executions = 0

    @BATCH
    @given(strategy)
    def run(value: Any) -> None:
        nonlocal executions
        executions += 1
        harness(value)

    for seed in corpus(name):
        harness(seed)
        executions += 1
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run()  # each batch draws new random inputs; a failure raises with the shrunk input
    return executions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0, help="per harness")
    parser.add_argument("names", nargs="*", default=sorted(HARNESSES))
    args = parser.parse_args()
    print(f"{'harness':<22} {'executions':>10} {'per second':>10}")
    for name in args.names:
        started = time.monotonic()
        executions = fuzz(name, args.seconds)
        rate = executions / max(time.monotonic() - started, 1e-9)
        print(f"{name:<22} {executions:>10} {rate:>10.0f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
