"""Apply-time resolution of Vault references against a real OpenBao dev server."""

from __future__ import annotations

import base64
import copy
import secrets
from pathlib import Path
from typing import Any

import pytest
from openbao_support import OpenBao, base_environ
from secrets_support import make_resource, secret_body

from validator.model import ValidatorError
from validator.secrets.errors import (
    SecretKeyNotFoundError,
    SecretPathNotFoundError,
    SecretReferenceError,
    SecretResolutionError,
    SecretVersionDeletedError,
    UnresolvedSecretError,
    VaultPermissionDeniedError,
)
from validator.secrets.vault import resolve_secrets


def unique(prefix: str = "app") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def token_env(home: str, token: str) -> dict[str, str]:
    return base_environ(Path(home), VAULT_TOKEN=token)


def resolve_one(
    bao: OpenBao, root: Path, body: dict[str, Any], env: dict[str, str], **kw: Any
) -> dict[str, Any]:
    settings = bao.settings(root, **kw)
    return resolve_secrets([make_resource(body)], settings, environ=env)[0]


def test_kv2_vals_reference_resolves_into_string_data_and_base64_data(
    openbao: OpenBao, tmp_path: Path, clean_home: str
) -> None:
    path = unique()
    openbao.put(path, {"password": "s3cret-v1", "user": "app"})
    body = secret_body(
        string_data={"password": f"ref+vault://secret/{path}#/password"},
        data={"user": f"ref+vault://secret/{path}#/user"},
    )
    original = copy.deepcopy(body)
    resource = make_resource(body)
    settings = openbao.settings(tmp_path)
    [resolved] = resolve_secrets(
        [resource], settings, environ=token_env(clean_home, openbao.root_token)
    )
    assert resolved["stringData"] == {"password": "s3cret-v1"}
    assert resolved["data"] == {"user": base64.b64encode(b"app").decode()}
    assert resource.body == original  # the rendered object stays as it was


def test_embedded_reference_and_nested_key(
    openbao: OpenBao, tmp_path: Path, clean_home: str
) -> None:
    path = unique()
    openbao.put(path, {"db": {"host": "db.internal"}, "port": 5432})
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg"},
        "data": {
            "url": f"postgres://ref+vault://secret/{path}#/db/host+"
            f":ref+vault://secret/{path}#/port+/app"
        },
    }
    resolved = resolve_one(openbao, tmp_path, body, token_env(clean_home, openbao.root_token))
    assert resolved["data"] == {"url": "postgres://db.internal:5432/app"}


def test_pinned_version_vals_and_avp(openbao: OpenBao, tmp_path: Path, clean_home: str) -> None:
    path = unique()
    openbao.put(path, {"password": "first"})
    openbao.put(path, {"password": "second"})
    body = secret_body(
        string_data={
            "latest": f"ref+vault://secret/{path}#/password",
            "pinned": f"ref+vault://secret/{path}?version=1#/password",
            "avp": f"<path:secret/data/{path}#password#1>",
            "avp_latest": f"<path:secret/data/{path}#password>",
            "avp_b64": f"<path:secret/data/{path}#password#1 | base64encode>",
        }
    )
    resolved = resolve_one(openbao, tmp_path, body, token_env(clean_home, openbao.root_token))
    assert resolved["stringData"] == {
        "latest": "second",
        "pinned": "first",
        "avp": "first",
        "avp_latest": "second",
        "avp_b64": base64.b64encode(b"first").decode(),
    }


def test_kv1_resolution(openbao: OpenBao, tmp_path: Path, clean_home: str) -> None:
    path = unique()
    openbao.put_v1(path, {"token": "kv1-value"})
    body = secret_body(
        string_data={
            "vals": f"ref+vault://kv1/{path}#/token",
            "avp": f"<path:kv1/{path}#token>",
        }
    )
    env = token_env(clean_home, openbao.root_token)
    resolved = resolve_one(openbao, tmp_path, body, env, kv_mount="kv1", kv_version=1)
    assert resolved["stringData"] == {"vals": "kv1-value", "avp": "kv1-value"}


def test_kv1_rejects_a_version_pin(openbao: OpenBao, tmp_path: Path, clean_home: str) -> None:
    path = unique()
    openbao.put_v1(path, {"token": "x"})
    body = secret_body(string_data={"t": f"ref+vault://kv1/{path}?version=2#/token"})
    env = token_env(clean_home, openbao.root_token)
    with pytest.raises(SecretResolutionError, match="KV v1 has no versions"):
        resolve_one(openbao, tmp_path, body, env, kv_mount="kv1", kv_version=1)


def test_deleted_and_destroyed_versions_are_distinct_errors(
    openbao: OpenBao, tmp_path: Path, clean_home: str
) -> None:
    path = unique()
    openbao.put(path, {"password": "one"})
    openbao.put(path, {"password": "two"})
    openbao.put(path, {"password": "three"})
    kv = openbao.client().secrets.kv.v2
    kv.delete_secret_versions(path=path, versions=[1], mount_point="secret")
    kv.destroy_secret_versions(path=path, versions=[2], mount_point="secret")
    env = token_env(clean_home, openbao.root_token)
    deleted = secret_body(string_data={"p": f"ref+vault://secret/{path}?version=1#/password"})
    with pytest.raises(SecretVersionDeletedError, match="version 1 was deleted"):
        resolve_one(openbao, tmp_path, deleted, env)
    destroyed = secret_body(string_data={"p": f"<path:secret/data/{path}#password#2>"})
    with pytest.raises(SecretVersionDeletedError, match="version 2 was destroyed"):
        resolve_one(openbao, tmp_path, destroyed, env)
    kv.delete_latest_version_of_secret(path=path, mount_point="secret")
    latest = secret_body(string_data={"p": f"ref+vault://secret/{path}#/password"})
    with pytest.raises(SecretVersionDeletedError, match="the latest version was deleted"):
        resolve_one(openbao, tmp_path, latest, env)


def test_missing_key_path_and_version(openbao: OpenBao, tmp_path: Path, clean_home: str) -> None:
    path = unique()
    openbao.put(path, {"password": "x"})
    env = token_env(clean_home, openbao.root_token)
    no_key = secret_body(string_data={"p": f"ref+vault://secret/{path}#/passwd"})
    with pytest.raises(SecretKeyNotFoundError, match="has no key 'passwd'"):
        resolve_one(openbao, tmp_path, no_key, env)
    no_path = secret_body(string_data={"p": f"ref+vault://secret/{path}-gone#/password"})
    with pytest.raises(SecretPathNotFoundError, match="no secret at this path"):
        resolve_one(openbao, tmp_path, no_path, env)
    no_version = secret_body(string_data={"p": f"ref+vault://secret/{path}?version=7#/password"})
    with pytest.raises(SecretPathNotFoundError, match="with version 7"):
        resolve_one(openbao, tmp_path, no_version, env)


def test_denied_token_is_permission_denied(
    openbao: OpenBao, tmp_path: Path, clean_home: str
) -> None:
    path = unique()
    openbao.put(path, {"password": "x"})
    body = secret_body(string_data={"p": f"ref+vault://secret/{path}#/password"})
    env = token_env(clean_home, openbao.token("nothing"))
    with pytest.raises(VaultPermissionDeniedError, match="permission denied"):
        resolve_one(openbao, tmp_path, body, env)


def test_invalid_token_is_permission_denied(
    openbao: OpenBao, tmp_path: Path, clean_home: str
) -> None:
    body = secret_body(string_data={"p": f"ref+vault://secret/{unique()}#/password"})
    env = token_env(clean_home, "s.not-a-real-token")
    with pytest.raises(VaultPermissionDeniedError):
        resolve_one(openbao, tmp_path, body, env)


def test_path_outside_the_configured_mount(
    openbao: OpenBao, tmp_path: Path, clean_home: str
) -> None:
    body = secret_body(string_data={"p": "ref+vault://other/app#/password"})
    with pytest.raises(SecretReferenceError, match="not under the configured KV mount secret/"):
        resolve_one(openbao, tmp_path, body, token_env(clean_home, openbao.root_token))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ref+exec://bin/sh#/x", "scheme not allowed"),
        ("ref+vault://secret/app", "names no key"),
        ("<path:secret/data/app#k | jsonPath>", "modifier 'jsonPath' is not supported"),
    ],
)
def test_unusable_references_are_rejected(
    openbao: OpenBao, tmp_path: Path, clean_home: str, value: str, message: str
) -> None:
    body = secret_body(string_data={"p": value})
    with pytest.raises(SecretReferenceError, match=message) as error:
        resolve_one(openbao, tmp_path, body, token_env(clean_home, openbao.root_token))
    assert "Secret/shop/db /stringData/p" in str(error.value)


def test_a_value_that_looks_like_a_reference_is_not_resolved_again(
    openbao: OpenBao, tmp_path: Path, clean_home: str
) -> None:
    inner, outer = unique(), unique()
    openbao.put(inner, {"k": "never-fetched"})
    openbao.put(outer, {"k": f"<path:secret/data/{inner}#k>"})
    body = secret_body(string_data={"p": f"ref+vault://secret/{outer}#/k"})
    with pytest.raises(UnresolvedSecretError, match="/stringData/p"):
        resolve_one(openbao, tmp_path, body, token_env(clean_home, openbao.root_token))


def test_objects_without_secrets_pass_through_without_contacting_vault(tmp_path: Path) -> None:
    from secrets_support import make_settings

    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}}
    assert resolve_secrets([make_resource(body)], make_settings(tmp_path), environ={}) == [body]


def test_leftover_ciphertext_is_refused(tmp_path: Path) -> None:
    from secrets_support import make_settings

    encrypted = "ENC[AES256_GCM,data:AAAA,iv:BBBB,tag:CCCC,type:str]"
    for body in (
        secret_body(string_data={"p": encrypted}),
        secret_body(data={"p": base64.b64encode(encrypted.encode()).decode()}),
    ):
        with pytest.raises(UnresolvedSecretError, match="still holds") as error:
            resolve_secrets([make_resource(body)], make_settings(tmp_path), environ={})
        assert isinstance(error.value, ValidatorError)
