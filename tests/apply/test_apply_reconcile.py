"""The reconcile loop: a failing iteration is reported and retried; the loop never crashes."""

from __future__ import annotations

import logging

import pytest

from validator.apply import reconcile
from validator.model import ValidatorError


def test_reconcile_loop_survives_failing_iterations(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []
    sleeps: list[float] = []

    def run_once() -> str:
        calls.append(len(calls) + 1)
        if len(calls) == 2:
            raise ValidatorError("cluster unreachable")
        if len(calls) == 3:
            raise RuntimeError("canary-db-password-7f3a9c leaked into a foreign error")
        return f"ok {len(calls)}"

    with caplog.at_level(logging.WARNING):
        summary = reconcile(run_once, interval=300, max_iterations=4, sleep=sleeps.append)

    assert summary.iterations == 4 and calls == [1, 2, 3, 4]
    assert summary.results == ["ok 1", "ok 4"]
    assert [(f.iteration, f.error) for f in summary.failures] == [
        (2, "cluster unreachable"),
        (3, "unexpected RuntimeError"),  # a foreign message may hold a secret: never shown
    ]
    assert sleeps == [300, 300, 300]  # no sleep after the last iteration
    assert "canary-db-password-7f3a9c" not in caplog.text
    assert "iteration 2 failed: cluster unreachable" in caplog.text


def test_reconcile_reports_each_result_and_failure_to_callbacks() -> None:
    seen: list[str] = []
    outcomes = iter([1, 0, 2])

    def run_once() -> float:
        return 1 / next(outcomes)

    reconcile(
        run_once,
        interval=0,
        max_iterations=3,
        on_result=lambda n, r: seen.append(f"{n}:{r}"),
        on_failure=lambda f: seen.append(f"{f.iteration}:{f.error}"),
        sleep=lambda _: None,
    )

    assert seen == ["1:1.0", "2:unexpected ZeroDivisionError", "3:0.5"]
