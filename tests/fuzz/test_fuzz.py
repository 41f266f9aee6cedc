"""A bounded fuzz run of every harness inside `make test` (a few examples each, plus the seed
corpus); `make fuzz` runs them for a fixed time."""

from __future__ import annotations

from typing import Any

import pytest
from harnesses import HARNESSES, corpus
from hypothesis import HealthCheck, given, settings

BOUNDED = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.parametrize("name", sorted(HARNESSES))
def test_harness_bounded_run(name: str) -> None:
    strategy, harness = HARNESSES[name]

    @BOUNDED
    @given(strategy)
    def run(value: Any) -> None:
        harness(value)

    run()


@pytest.mark.parametrize("name", sorted(HARNESSES))
def test_seed_corpus(name: str) -> None:
    seeds = corpus(name)
    assert seeds, f"tests/fuzz/corpus/{name}/ has no seeds"
    _, harness = HARNESSES[name]
    for seed in seeds:
        harness(seed)
