"""Exceptions file: matching (with wildcards and containers), expiry and unused entries."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from policy_helpers import environment, pod, write_yaml

from validator.model import Category, EnvironmentSpec, PolicySettings, Settings, Severity
from validator.policy import PolicyEngine, PolicyError

TODAY = datetime.date(2026, 6, 1)
PRIVILEGED = {"securityContext": {"privileged": True}}


def _exception(**overrides: Any) -> dict[str, Any]:
    entry = {
        "policy": "disallow-privileged-containers",
        "environments": ["prod"],
        "resources": [{"kind": "Pod", "namespace": "shop", "name": "web-*"}],
        "reason": "vendor agent needs it until v2",
        "owner": "team-shop",
        "expires": "2026-12-31",
    }
    entry.update(overrides)
    return entry


def _engine(tmp_path: Path, *entries: dict[str, Any]) -> PolicyEngine:
    write_yaml(tmp_path / "policies" / "exceptions.yaml", {"exceptions": list(entries)})
    settings = Settings(
        repo_root=tmp_path,
        config_file=None,
        kubernetes_version="1.33",
        environments=(EnvironmentSpec(name="prod", kubernetes_version="1.33"),),
        policies=PolicySettings(builtin="baseline", exceptions="policies/exceptions.yaml"),
    )
    return PolicyEngine.load(settings, today=TODAY)


def _privileged_pod(name: str, *extra: dict[str, Any]) -> dict[str, Any]:
    containers = [{"name": "agent", "image": "agent:1", **PRIVILEGED}, *extra]
    return pod(name, containers=containers)


def test_exception_suppresses_matching_findings_only(tmp_path: Path) -> None:
    engine = _engine(tmp_path, _exception())
    env = environment([_privileged_pod("web-1"), _privileged_pod("db-1")], name="prod")
    findings = [f for f in engine.evaluate(env) if f.rule_id == "disallow-privileged-containers"]
    assert [f.resource.name for f in findings if f.resource] == ["db-1"]
    assert engine.exception_findings() == []


def test_exception_for_other_environment_does_not_apply_and_is_not_unused(tmp_path: Path) -> None:
    engine = _engine(tmp_path, _exception(environments=["staging"]))
    env = environment([_privileged_pod("web-1")], name="prod")
    assert any(f.rule_id == "disallow-privileged-containers" for f in engine.evaluate(env))
    assert engine.exception_findings() == []


def test_expired_exception_no_longer_applies_and_is_reported(tmp_path: Path) -> None:
    engine = _engine(tmp_path, _exception(expires="2026-01-31"))
    env = environment([_privileged_pod("web-1")], name="prod")
    assert any(f.rule_id == "disallow-privileged-containers" for f in engine.evaluate(env))
    [finding] = engine.exception_findings()
    assert finding.rule_id == "exception-expired" and finding.category is Category.EXCEPTION
    assert finding.severity is Severity.ERROR and "2026-01-31" in finding.message
    assert finding.location is not None and finding.location.file == "policies/exceptions.yaml"
    lines = (tmp_path / "policies" / "exceptions.yaml").read_text().splitlines()
    assert "policy: disallow-privileged-containers" in lines[finding.location.line - 1]


def test_unused_exception_is_reported(tmp_path: Path) -> None:
    engine = _engine(
        tmp_path, _exception(), _exception(resources=[{"kind": "Pod", "name": "ghost"}])
    )
    engine.evaluate(environment([_privileged_pod("web-1")], name="prod"))
    [finding] = engine.exception_findings()
    assert finding.rule_id == "exception-unused" and finding.location is not None
    lines = (tmp_path / "policies" / "exceptions.yaml").read_text().splitlines()
    policy_lines = [n for n, text in enumerate(lines, 1) if "policy:" in text]
    assert finding.location.line == policy_lines[1]


def test_container_scoped_exception(tmp_path: Path) -> None:
    engine = _engine(tmp_path, _exception(containers=["agent"]))
    other = {"name": "app", "image": "app:1", **PRIVILEGED}
    env = environment([_privileged_pod("web-1"), _privileged_pod("web-2", other)], name="prod")
    findings = [f for f in engine.evaluate(env) if f.rule_id == "disallow-privileged-containers"]
    assert [f.resource.name for f in findings if f.resource] == ["web-2"]


def test_malformed_exception_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="missing reason, owner"):
        _engine(tmp_path, {"policy": "x", "resources": [{"kind": "Pod"}], "expires": "2026-01-01"})
