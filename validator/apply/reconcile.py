"""The reconcile loop for GitOps without an in-cluster agent: run, report, sleep, repeat.

One failed iteration is reported and retried at the next interval; the loop itself never
raises for it. Only an interrupt (KeyboardInterrupt) or `max_iterations` ends it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from validator.model import ValidatorError

log = logging.getLogger("gitops_validator.apply")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class IterationFailure:
    iteration: int
    error: str  # value-free: a ValidatorError's message, else only the exception type


@dataclass
class ReconcileSummary(Generic[T]):
    iterations: int = 0
    results: list[T] = field(default_factory=list)
    failures: list[IterationFailure] = field(default_factory=list)


def describe_failure(error: Exception) -> str:
    """Our errors have value-free messages; a foreign exception's text might hold a secret."""
    if isinstance(error, ValidatorError):
        return str(error)
    return f"unexpected {type(error).__name__}"


def reconcile(
    run_once: Callable[[], T],
    *,
    interval: float,
    max_iterations: int | None = None,
    on_result: Callable[[int, T], None] | None = None,
    on_failure: Callable[[IterationFailure], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ReconcileSummary[T]:
    """Call `run_once` every `interval` seconds; `max_iterations=None` loops until interrupted."""
    summary: ReconcileSummary[T] = ReconcileSummary()
    while max_iterations is None or summary.iterations < max_iterations:
        summary.iterations += 1
        number = summary.iterations
        try:
            result = run_once()
        except Exception as error:  # the loop survives every failure of one iteration
            failure = IterationFailure(number, describe_failure(error))
            summary.failures.append(failure)
            log.warning("reconcile iteration %d failed: %s", number, failure.error)
            if on_failure is not None:
                on_failure(failure)
        else:
            summary.results.append(result)
            if on_result is not None:
                on_result(number, result)
        if max_iterations is None or summary.iterations < max_iterations:
            sleep(interval)
    return summary
