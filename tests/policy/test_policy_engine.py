"""PolicyEngine.load from Settings: repository policies, per-environment profiles, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from policy_helpers import binding, environment, pod, vap, write_yaml

from validator.model import EnvironmentSpec, PolicySettings, Settings, Severity
from validator.policy import PolicyEngine, PolicyError

HOST_NET = [
    {"expression": "!object.spec.?hostNetwork.orValue(false)", "message": "no hostNetwork here"}
]


def _settings(root: Path, builtin: str = "baseline", paths: tuple[str, ...] = ()) -> Settings:
    return Settings(
        repo_root=root,
        config_file=None,
        kubernetes_version="1.33",
        environments=(
            EnvironmentSpec(name="dev", kubernetes_version="1.33"),
            EnvironmentSpec(name="prod", kubernetes_version="1.32", policy_profile="restricted"),
        ),
        policies=PolicySettings(builtin=builtin, paths=paths),
    )


def test_repository_policies_and_bindings_are_loaded(tmp_path: Path) -> None:
    write_yaml(
        tmp_path / "policies" / "local" / "net.yaml",
        vap("local-no-host-network", HOST_NET),
        binding("warn-only", "local-no-host-network", ["Warn"]),
    )
    engine = PolicyEngine.load(_settings(tmp_path, builtin="none", paths=("policies/local",)))
    [finding] = engine.evaluate(environment([pod("a", hostNetwork=True)]))
    assert finding.rule_id == "local-no-host-network" and finding.severity is Severity.WARNING


def test_environment_profile_overrides_the_default(tmp_path: Path) -> None:
    engine = PolicyEngine.load(_settings(tmp_path))
    root_pod = pod("a")  # no runAsNonRoot: restricted only
    dev = {f.rule_id for f in engine.evaluate(environment([root_pod], name="dev"))}
    prod = {f.rule_id for f in engine.evaluate(environment([root_pod], "1.32", name="prod"))}
    assert "require-run-as-non-root" not in dev
    assert "require-run-as-non-root" in prod
    forced = PolicyEngine.load(_settings(tmp_path), profile="none")
    assert forced.evaluate(environment([root_pod], name="prod")) == []


def test_bad_policy_files_raise_clear_errors(tmp_path: Path) -> None:
    local = tmp_path / "policies" / "local"
    (local).mkdir(parents=True)
    (local / "broken.yaml").write_text("kind: [unclosed\n")
    with pytest.raises(PolicyError, match="cannot read YAML"):
        PolicyEngine.load(_settings(tmp_path, paths=("policies/local",)))
    (local / "broken.yaml").write_text(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n"
        "metadata: {name: p}\nspec: {validations: [{expression: 'true'}]}\n"
    )
    with pytest.raises(PolicyError, match="resourceRules is required"):
        PolicyEngine.load(_settings(tmp_path, paths=("policies/local",)))
    with pytest.raises(PolicyError, match="no such policy file"):
        PolicyEngine.load(_settings(tmp_path, paths=("policies/missing",)))


def test_binding_may_not_mix_deny_and_warn(tmp_path: Path) -> None:
    write_yaml(tmp_path / "p" / "x.yaml", vap("x", HOST_NET), binding("b", "x", ["Deny", "Warn"]))
    with pytest.raises(PolicyError, match="both Deny and Warn"):
        PolicyEngine.load(_settings(tmp_path, paths=("p",)))
