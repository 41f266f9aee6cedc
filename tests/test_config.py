"""Configuration: discovery, schema errors with lines, precedence, defaults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import RunCli, three_environments

from validator.config import Overrides, resolve_settings
from validator.model import ConfigError


def test_unknown_key_is_reported_with_its_line(make_repo, run_cli: RunCli) -> None:
    files = three_environments()
    files["gitops-validator.yaml"] = (
        "kubernetesVersion: '1.33'\n"
        "environments:\n"
        "  dev:\n"
        "    path: overlays/dev\n"
        "    pth: overlays/dev\n"
        "polices:\n"
        "  builtin: baseline\n"
    )
    repo = make_repo(files)
    result = run_cli("validate", cwd=repo)
    assert result.code == 3
    assert "gitops-validator.yaml:5: unknown key 'pth' in environments.dev" in result.stderr
    assert "gitops-validator.yaml:6: unknown key 'polices' in top level" in result.stderr
    assert "Traceback" not in result.stderr


def test_wrong_type_is_reported_with_its_line(make_repo, run_cli: RunCli) -> None:
    files = three_environments()
    files["gitops-validator.yaml"] = (
        "environments:\n  dev: {path: overlays/dev}\nkubernetesVersion: 133\n"
    )
    result = run_cli("validate", cwd=make_repo(files))
    assert result.code == 3
    assert (
        'gitops-validator.yaml:3: kubernetesVersion: 133 is not of type "string"' in result.stderr
    )


def test_environment_needs_exactly_one_source(make_repo, run_cli: RunCli) -> None:
    files = three_environments()
    files["gitops-validator.yaml"] = "environments:\n  dev: {kubernetesVersion: '1.30'}\n"
    result = run_cli("validate", cwd=make_repo(files))
    assert result.code == 3
    assert "environments.dev: set exactly one of 'path' or 'helm'" in result.stderr


def test_invalid_yaml_in_config(make_repo, run_cli: RunCli) -> None:
    files = three_environments()
    files["gitops-validator.yaml"] = "environments: [\n"
    result = run_cli("validate", cwd=make_repo(files))
    assert result.code == 3
    assert "gitops-validator.yaml:2: invalid YAML" in result.stderr


def test_config_is_found_from_a_subdirectory(make_repo, run_cli: RunCli) -> None:
    repo = make_repo(three_environments())
    result = run_cli("envs", "--json", cwd=repo / "overlays" / "prod")
    assert result.code == 0, result.stderr
    assert [env["name"] for env in json.loads(result.stdout)] == ["dev", "staging", "prod"]


def test_without_config_every_leaf_overlay_is_an_environment(make_repo, run_cli: RunCli) -> None:
    files = three_environments()
    del files["gitops-validator.yaml"]
    result = run_cli("envs", "--json", cwd=make_repo(files))
    assert result.code == 0, result.stderr
    names = [env["name"] for env in json.loads(result.stdout)]
    # overlays/base is referenced by the others: a base, never an environment (issue 13).
    assert names == ["dev", "prod", "staging"]


def test_cli_overrides_environment_overrides_file(make_repo) -> None:
    files = three_environments()
    files["gitops-validator.yaml"] += "kubernetesVersion: '1.30'\npolicies: {builtin: restricted}\n"
    repo: Path = make_repo(files)
    from_file = resolve_settings(repo, Overrides(), environ={})
    assert from_file.kubernetes_version == "1.30"
    assert from_file.policies.builtin == "restricted"
    environ = {
        "GITOPS_VALIDATOR_KUBERNETES_VERSION": "1.31",
        "GITOPS_VALIDATOR_POLICY_PROFILE": "all",
    }
    from_env = resolve_settings(repo, Overrides(), environ=environ)
    assert (from_env.kubernetes_version, from_env.policies.builtin) == ("1.31", "all")
    from_cli = resolve_settings(repo, Overrides(kubernetes_version="1.32"), environ=environ)
    assert from_cli.kubernetes_version == "1.32"
    assert all(env.kubernetes_version == "1.32" for env in from_cli.environments)


def test_bad_environment_variable_is_a_config_error(make_repo) -> None:
    repo = make_repo(three_environments())
    try:
        resolve_settings(repo, Overrides(), environ={"GITOPS_VALIDATOR_FAIL_ON": "sometimes"})
    except ConfigError as error:
        assert "fail-on must be one of error, warning, never" in str(error)
    else:
        raise AssertionError("expected a ConfigError")


def test_settings_are_frozen(make_repo) -> None:
    settings = resolve_settings(make_repo(three_environments()), Overrides(), environ={})
    try:
        settings.jobs = 9  # type: ignore[misc]
    except AttributeError:
        return
    raise AssertionError("Settings must be immutable")


def test_unquoted_version_is_a_config_error_not_a_crash(make_repo, run_cli: RunCli) -> None:
    files = three_environments()
    files["gitops-validator.yaml"] += "kubernetesVersion: 1.30\n"
    result = run_cli("validate", cwd=make_repo(files))
    assert result.code == 3, result.stderr
    assert 'kubernetesVersion: 1.3 is not of type "string"' in result.stderr


def test_missing_repository_directory_is_a_usage_error(run_cli: RunCli, tmp_path) -> None:
    result = run_cli("--repo", str(tmp_path / "nope"), "validate")
    assert result.code == 2
    assert "does not exist" in result.stderr


def test_config_errors_list_every_allowed_value_and_suggest_the_key_meant(
    make_repo, run_cli: RunCli
) -> None:
    config = (
        "polcies:\n  builtin: all\n"
        "environments:\n  dev: {path: overlays/dev, policyProfile: restricte}\n"
    )
    repo = make_repo({"gitops-validator.yaml": config})
    result = run_cli("envs", cwd=repo)
    assert result.code == 3
    assert (
        "gitops-validator.yaml:1: unknown key 'polcies' in top level; did you mean 'policies'?"
        in result.stderr
    )
    assert (
        "(allowed: apply, environments, kubernetesVersion, policies, schema, secrets"
        in result.stderr
    )
    assert '"none", "baseline", "restricted", "all"; did you mean \'restricted\'?' in result.stderr


def test_vault_address_comes_from_vault_addr_when_the_file_has_none(make_repo) -> None:
    from validator.config import Overrides, resolve_settings
    from validator.model import ConfigError

    repo = make_repo(
        {"gitops-validator.yaml": "secrets:\n  vault: {kvMount: kv, auth: {method: token}}\n"}
    )
    settings = resolve_settings(repo, Overrides(), {"VAULT_ADDR": "https://vault.example.com"})
    assert settings.secrets.vault is not None
    assert settings.secrets.vault.address == "https://vault.example.com"
    assert settings.secrets.vault.kv_mount == "kv"
    with pytest.raises(ConfigError, match="VAULT_ADDR"):
        resolve_settings(repo, Overrides(), {})
    with pytest.raises(ConfigError, match="http"):
        resolve_settings(repo, Overrides(), {"VAULT_ADDR": "vault:8200"})
    pinned = make_repo({"gitops-validator.yaml": "secrets:\n  vault: {address: https://a.io}\n"})
    from_file = resolve_settings(pinned, Overrides(), {"VAULT_ADDR": "https://b.io"})
    assert from_file.secrets.vault is not None and from_file.secrets.vault.address == "https://a.io"
