"""Helm version constraints, resolved like Helm (Masterminds semver v3)."""

from __future__ import annotations

import pytest

from validator.render.charts.semver import Constraint, ConstraintError

VERSIONS = [
    "0.1.0",
    "0.2.5",
    "1.0.0",
    "1.2.3",
    "1.2.9",
    "1.3.0-rc.1",
    "1.9.0",
    "2.0.0",
    "2.1.0-beta",
]


@pytest.mark.parametrize(
    ("constraint", "best"),
    [
        (None, "2.0.0"),
        ("*", "2.0.0"),
        ("", "2.0.0"),
        ("1.2.3", "1.2.3"),
        ("=1.2.3", "1.2.3"),
        ("v1.2.3", "1.2.3"),
        ("1.2", "1.2.9"),
        ("1.2.x", "1.2.9"),
        ("1.x", "1.9.0"),
        ("1", "1.9.0"),
        ("^1.2.3", "1.9.0"),
        ("^0.1.0", "0.1.0"),
        ("^0.2", "0.2.5"),
        ("~1.2.3", "1.2.9"),
        ("~1.2", "1.2.9"),
        ("~1", "1.9.0"),
        ("~>1.2", "1.2.9"),
        (">=1.0.0 <2.0.0", "1.9.0"),
        (">=1.0.0, <2.0.0", "1.9.0"),
        (">= 1.0.0, < 1.3", "1.2.9"),
        (">1.2.3 <=1.9.0", "1.9.0"),
        ("<1.0.0", "0.2.5"),
        ("!=2.0.0", "1.9.0"),
        ("1.0.0 - 1.2.5", "1.2.3"),
        ("1.0 - 1.2", "1.2.9"),
        ("^0.1.0 || ^1.2.0", "1.9.0"),
        ("<0.1.0 || 1.2.3", "1.2.3"),
        ("1.3.0-rc.1", "1.3.0-rc.1"),
        (">=1.3.0-0 <1.4.0", "1.3.0-rc.1"),
        ("~2.1.0-0", "2.1.0-beta"),
        ("^3.0.0", None),
    ],
)
def test_constraints_pick_the_highest_matching_version(
    constraint: str | None, best: str | None
) -> None:
    assert Constraint.parse(constraint).best(VERSIONS) == best


def test_prereleases_are_excluded_unless_the_constraint_names_one() -> None:
    assert Constraint.parse(">=1.2.9").best(["1.2.9", "1.3.0-rc.1"]) == "1.2.9"
    assert Constraint.parse("*").best(["1.0.0-alpha"]) is None


def test_exact_names_a_single_version_only() -> None:
    assert Constraint.parse("1.2.3").exact == "1.2.3"
    assert Constraint.parse("^1.2.3").exact is None
    assert Constraint.parse("1.2").exact is None


@pytest.mark.parametrize("bad", ["abc", ">=1.2.3.4", "^^1"])
def test_invalid_constraints_are_refused(bad: str) -> None:
    with pytest.raises(ConstraintError):
        Constraint.parse(bad)
