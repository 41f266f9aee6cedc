"""The built-in library: every policy's own tests pass; profiles, list and explain."""

from __future__ import annotations

import pytest
from policy_helpers import environment, pod

from validator.model import UsageError
from validator.policy import PolicyEngine, PolicyError, builtin_dir, explain, list_policies
from validator.policy.library import load_builtin, profile_policies
from validator.policy.loader import PolicySet
from validator.policy.testing import run_policy_tests


def test_every_builtin_policy_passes_its_tests() -> None:
    report = run_policy_tests([builtin_dir()])
    assert report.errors == []
    assert report.passed, [
        (f.policy, f.resource, f.expected, f.actual, f.detail) for f in report.failures
    ]
    tested = {(r.policy, r.expected) for r in report.results}
    for info in list_policies():
        assert (info.name, "pass") in tested, f"{info.name} has no passing case"
        assert (info.name, "fail") in tested, f"{info.name} has no failing case"


def test_library_size_metadata_and_profiles() -> None:
    infos = list_policies()
    assert len(infos) >= 40
    for info in infos:
        assert info.title and info.description and info.category
        assert info.severity in ("error", "warning", "info")
        assert info.profile in ("baseline", "restricted", "best-practice")
    policies = load_builtin().policies
    baseline = profile_policies(policies, "baseline")
    restricted = profile_policies(policies, "restricted")
    assert {p.name for p in baseline} < {p.name for p in restricted} < {p.name for p in policies}
    assert "disallow-privileged-containers" in {p.name for p in baseline}
    assert "require-run-as-non-root" not in {p.name for p in baseline}
    assert profile_policies(policies, "none") == []
    with pytest.raises(PolicyError, match="unknown policy profile"):
        profile_policies(policies, "paranoid")


def test_builtin_policies_compile_on_every_supported_version() -> None:
    engine = PolicyEngine(load_builtin(), PolicySet(), default_profile="all")
    for version in ("1.30", "1.33", "1.35"):
        findings = engine.evaluate(environment([pod("probe")], version=version))
        assert not [f for f in findings if "compile error" in f.message], version


def test_explain_shows_description_and_examples() -> None:
    text = explain("disallow-privileged-containers")
    assert "Disallow privileged containers" in text
    assert "Failing example:" in text and "privileged: true" in text
    assert "Passing example:" in text
    with pytest.raises(UsageError, match="unknown policy"):  # exit 2 (issue 10)
        explain("nope")
