"""`validate --check-refs` through the real CLI against a real OpenBao dev server."""

from __future__ import annotations

import json

from openbao_support import OpenBao, free_port
from support import RunCli, three_environments

SECRET = """apiVersion: v1
kind: Secret
metadata:
  name: api
stringData:
  token: ref+vault://secret/data/{path}#/token
"""


def _repo(make_repo, address: str, path: str):
    files = three_environments()
    files["overlays/prod/secret.yaml"] = SECRET.format(path=path)
    files["overlays/prod/kustomization.yaml"] += "  - secret.yaml\n"
    files["gitops-validator.yaml"] += (
        "secrets:\n"
        f"  vault: {{address: '{address}', kvMount: secret, kvVersion: 2,\n"
        "           auth: {method: token}}\n"
    )
    return make_repo(files)


def test_missing_vault_path_is_a_finding(make_repo, run_cli: RunCli, openbao: OpenBao) -> None:
    openbao.put("shop/present", {"token": "canary-check-refs-1d2e"})
    repo = _repo(make_repo, openbao.address, "shop/absent")
    env = {"VAULT_TOKEN": openbao.root_token}
    plain = run_cli("validate", "--env", "prod", "--format", "json", cwd=repo, env=env)
    assert plain.code == 0, plain.stdout + plain.stderr  # without --check-refs Vault is not asked
    checked = run_cli(
        "validate", "--env", "prod", "--check-refs", "--format", "json", cwd=repo, env=env
    )
    assert checked.code == 1, checked.stderr
    [finding] = json.loads(checked.stdout)["findings"]
    assert finding["ruleId"] == "secret-ref-invalid"
    assert "shop/absent" in finding["message"]
    assert finding["location"]["file"] == "overlays/prod/secret.yaml"


def test_existing_vault_path_passes(make_repo, run_cli: RunCli, openbao: OpenBao) -> None:
    openbao.put("shop/present", {"token": "canary-check-refs-9f8a"})
    repo = _repo(make_repo, openbao.address, "shop/present")
    result = run_cli(
        "validate",
        "--env",
        "prod",
        "--check-refs",
        cwd=repo,
        env={"VAULT_TOKEN": openbao.root_token},
    )
    assert result.code == 0, result.stdout + result.stderr
    assert "canary-check-refs-9f8a" not in result.stdout + result.stderr


def test_vault_down_exits_8(make_repo, run_cli: RunCli) -> None:
    """Vault unreachable is exit 8 (README: cluster unreachable or credentials missing)."""
    repo = _repo(make_repo, f"http://127.0.0.1:{free_port()}", "shop/present")
    result = run_cli("validate", "--check-refs", cwd=repo, env={"VAULT_TOKEN": "x"})
    assert result.code == 8, result.stdout + result.stderr
    assert "unreachable" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_vault_credentials_exit_8(make_repo, run_cli: RunCli, openbao: OpenBao) -> None:
    """README exit 8: credentials missing (no VAULT_TOKEN for token auth)."""
    repo = _repo(make_repo, openbao.address, "shop/present")
    result = run_cli("validate", "--check-refs", cwd=repo, env={"VAULT_TOKEN": ""})
    assert result.code == 8, result.stdout + result.stderr
    assert "needs the VAULT_TOKEN environment variable" in result.stderr
