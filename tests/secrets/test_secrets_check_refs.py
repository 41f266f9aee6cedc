"""`--check-refs`: existence of referenced paths and versions with a metadata-only token."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from openbao_support import OpenBao, base_environ, free_port
from secrets_support import make_resource, secret_body

from validator.model import Finding, Severity
from validator.secrets.check_refs import check_references
from validator.secrets.errors import VaultPermissionDeniedError, VaultUnreachableError
from validator.secrets.vault import resolve_secrets


def unique() -> str:
    return f"check-{secrets.token_hex(4)}"


def check(
    bao: OpenBao, root: Path, home: str, values: dict[str, str], token: str, **kw: Any
) -> list[Finding]:
    settings = bao.settings(root, **kw)
    resource = make_resource(secret_body(string_data=values))
    env = base_environ(Path(home), VAULT_TOKEN=token)
    return check_references([resource], settings, environ=env)


@pytest.fixture()
def versions(openbao: OpenBao) -> str:
    """A KV v2 secret with v1 deleted, v2 destroyed and v3 current."""
    path = unique()
    for value in ("one", "two", "three"):
        openbao.put(path, {"password": value})
    kv = openbao.client().secrets.kv.v2
    kv.delete_secret_versions(path=path, versions=[1], mount_point="secret")
    kv.destroy_secret_versions(path=path, versions=[2], mount_point="secret")
    return path


def test_metadata_only_token_confirms_good_references(
    openbao: OpenBao, tmp_path: Path, clean_home: str, versions: str
) -> None:
    token = openbao.token("metadata-only")
    values = {
        "latest": f"ref+vault://secret/{versions}#/password",
        "pinned": f"ref+vault://secret/{versions}?version=3#/password",
        "avp": f"<path:secret/data/{versions}#password#3>",
        "not-vault": "ref+sops://secrets/x.enc.yaml#/k",
    }
    assert check(openbao, tmp_path, clean_home, values, token) == []
    # ... and the same token cannot read a single value
    settings = openbao.settings(tmp_path)
    resource = make_resource(secret_body(string_data={"p": values["latest"]}))
    with pytest.raises(VaultPermissionDeniedError):
        env = base_environ(Path(clean_home), VAULT_TOKEN=token)
        resolve_secrets([resource], settings, environ=env)


def test_missing_deleted_destroyed_and_unknown_versions_are_findings(
    openbao: OpenBao, tmp_path: Path, clean_home: str, versions: str
) -> None:
    values = {
        "deleted": f"ref+vault://secret/{versions}?version=1#/password",
        "destroyed": f"<path:secret/data/{versions}#password#2>",
        "unknown": f"ref+vault://secret/{versions}?version=9#/password",
        "missing": f"ref+vault://secret/{versions}-gone#/password",
    }
    findings = check(openbao, tmp_path, clean_home, values, openbao.token("metadata-only"))
    by_path = {finding.path: finding for finding in findings}
    assert set(by_path) == {f"/stringData/{name}" for name in values}
    label = f"Vault secret secret/{versions}"
    assert by_path["/stringData/deleted"].message == f"{label}: version 1 was deleted"
    assert by_path["/stringData/destroyed"].message == f"{label}: version 2 was destroyed"
    assert by_path["/stringData/unknown"].message == (
        f"{label}: version 9 does not exist (the latest is 3)"
    )
    assert by_path["/stringData/missing"].message == f"{label}-gone does not exist"
    for finding in findings:
        assert finding.rule_id == "secret-ref-invalid"
        assert finding.severity is Severity.ERROR
        assert finding.resource is not None and finding.resource.name == "db"
        assert finding.environment == "prod"


def test_deleted_latest_version_is_a_finding(
    openbao: OpenBao, tmp_path: Path, clean_home: str
) -> None:
    path = unique()
    openbao.put(path, {"password": "x"})
    kv = openbao.client().secrets.kv.v2
    kv.delete_latest_version_of_secret(path=path, mount_point="secret")
    values = {"p": f"ref+vault://secret/{path}#/password"}
    [finding] = check(openbao, tmp_path, clean_home, values, openbao.token("metadata-only"))
    assert finding.message.endswith("the latest version (1) was deleted")


def test_kv1_existence_by_listing(openbao: OpenBao, tmp_path: Path, clean_home: str) -> None:
    path = unique()
    openbao.put_v1(f"team/{path}", {"k": "v"})
    values = {
        "ok": f"ref+vault://kv1/team/{path}#/k",
        "missing": f"ref+vault://kv1/team/{path}-gone#/k",
        "pinned": f"ref+vault://kv1/team/{path}?version=2#/k",
        "no-folder": f"ref+vault://kv1/nowhere-{path}/x#/k",
    }
    token = openbao.token("metadata-only")
    findings = check(openbao, tmp_path, clean_home, values, token, kv_mount="kv1", kv_version=1)
    assert {finding.path: finding.message for finding in findings} == {
        "/stringData/missing": f"Vault secret kv1/team/{path}-gone does not exist",
        "/stringData/pinned": f"Vault secret kv1/team/{path}: KV v1 has no versions; "
        "remove the version pin",
        "/stringData/no-folder": f"Vault secret kv1/nowhere-{path}/x does not exist",
    }


def test_a_token_without_metadata_access_yields_warnings(
    openbao: OpenBao, tmp_path: Path, clean_home: str, versions: str
) -> None:
    values = {"p": f"ref+vault://secret/{versions}#/password"}
    [finding] = check(openbao, tmp_path, clean_home, values, openbao.token("nothing"))
    assert finding.severity is Severity.WARNING
    assert "cannot be checked" in finding.message


def test_no_references_means_no_vault_contact(tmp_path: Path, openbao: OpenBao) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    settings = openbao.settings(tmp_path, address=closed)
    resource = make_resource(
        secret_body(string_data={"p": "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]"})
    )
    assert check_references([resource], settings, environ={}) == []


def test_vault_down_raises(openbao: OpenBao, tmp_path: Path, clean_home: str) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    values = {"p": "ref+vault://secret/app#/password"}
    with pytest.raises(VaultUnreachableError):
        check(openbao, tmp_path, clean_home, values, "t", address=closed)
