"""Vault login (token, AppRole, JWT, Kubernetes) and connection failures, against OpenBao."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import hvac
import pytest
from openbao_support import JwtIssuer, OpenBao, base_environ, free_port
from secrets_support import make_resource, make_settings, secret_body

from validator.secrets.errors import (
    VaultAuthenticationError,
    VaultConfigurationError,
    VaultUnreachableError,
)
from validator.secrets.vault import resolve_secrets
from validator.secrets.vault_client import open_session


def token_env(home: str, token: str) -> dict[str, str]:
    return base_environ(Path(home), VAULT_TOKEN=token)


def test_approle_login_reads_and_revokes_its_token(
    openbao: OpenBao, tmp_path: Path, clean_home: str
) -> None:
    path = f"auth-{secrets.token_hex(4)}"
    openbao.put(path, {"password": "via-approle"})
    approle = openbao.client().auth.approle
    role_id = approle.read_role_id(role_name="deployer")["data"]["role_id"]
    secret_id = approle.generate_secret_id(role_name="deployer")["data"]["secret_id"]
    env = base_environ(Path(clean_home), VAULT_ROLE_ID=role_id, VAULT_SECRET_ID=secret_id)
    settings = openbao.settings(tmp_path, auth={"method": "approle"})
    body = secret_body(string_data={"p": f"ref+vault://secret/{path}#/password"})
    assert resolve_secrets([make_resource(body)], settings, environ=env)[0]["stringData"] == {
        "p": "via-approle"
    }
    session = open_session(settings.secrets.vault, env)
    login_token = session.token
    assert openbao.client().auth.token.lookup(login_token)["data"]["policies"] == [
        "default",
        "reader",
    ]
    session.close()
    with pytest.raises(hvac.exceptions.VaultError):  # revoked on close
        openbao.client().auth.token.lookup(login_token)


def test_approle_with_a_wrong_secret_id_fails_login(
    openbao: OpenBao, tmp_path: Path, clean_home: str
) -> None:
    approle = openbao.client().auth.approle
    role_id = approle.read_role_id(role_name="deployer")["data"]["role_id"]
    env = base_environ(Path(clean_home), VAULT_ROLE_ID=role_id, VAULT_SECRET_ID="wrong")
    settings = openbao.settings(tmp_path, auth={"method": "approle"})
    with pytest.raises(VaultAuthenticationError, match="approle login failed"):
        open_session(settings.secrets.vault, env)


def test_jwt_login_against_a_missing_auth_mount_fails_cleanly(
    openbao: OpenBao, tmp_path: Path, clean_home: str
) -> None:
    env = base_environ(Path(clean_home), VAULT_JWT="e30.e30.sig")
    settings = openbao.settings(tmp_path, auth={"method": "jwt", "role": "ci"})
    with pytest.raises(VaultAuthenticationError, match="jwt login failed"):
        open_session(settings.secrets.vault, env)


@pytest.mark.parametrize(
    ("auth", "environ", "message"),
    [
        ({"method": "token"}, {}, "VAULT_TOKEN"),
        ({"method": "approle"}, {"VAULT_SECRET_ID": "x"}, "VAULT_ROLE_ID"),
        ({"method": "approle"}, {"VAULT_ROLE_ID": "x"}, "VAULT_SECRET_ID"),
        ({"method": "jwt"}, {"VAULT_JWT": "x"}, "auth.role"),
        ({"method": "jwt", "role": "ci"}, {}, "VAULT_JWT_FILE"),
        (
            {"method": "kubernetes", "role": "r"},
            {"VAULT_K8S_TOKEN_FILE": "/nonexistent"},
            "token file",
        ),
        ({"method": "ldap"}, {}, "unknown Vault auth method"),
    ],
)
def test_auth_configuration_errors(
    openbao: OpenBao,
    tmp_path: Path,
    clean_home: str,
    auth: dict[str, str],
    environ: dict[str, str],
    message: str,
) -> None:
    settings = openbao.settings(tmp_path, auth=auth)
    with pytest.raises(VaultConfigurationError, match=message):
        open_session(settings.secrets.vault, base_environ(Path(clean_home), **environ))


def test_vault_down_is_a_distinct_bounded_error(
    tmp_path: Path, openbao: OpenBao, clean_home: str
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    body = secret_body(string_data={"p": "ref+vault://secret/app#/password"})
    settings = openbao.settings(tmp_path, address=closed)
    started = time.monotonic()
    with pytest.raises(VaultUnreachableError, match="unreachable"):
        resolve_secrets(
            [make_resource(body)], settings, environ=token_env(clean_home, "t"), timeout=3
        )
    assert time.monotonic() - started < 5


def test_no_vault_settings_is_a_configuration_error(tmp_path: Path, clean_home: str) -> None:
    body = secret_body(string_data={"p": "ref+vault://secret/app#/password"})
    with pytest.raises(VaultConfigurationError, match=r"secrets\.vault"):
        resolve_secrets([make_resource(body)], make_settings(tmp_path), environ={})


def test_jwt_login_as_in_ci_oidc(openbao: OpenBao, tmp_path: Path, clean_home: str) -> None:
    issuer = JwtIssuer.create(tmp_path)
    mount = f"jwt-{secrets.token_hex(3)}"
    issuer.configure(openbao, mount, role="ci")
    path = f"auth-{secrets.token_hex(4)}"
    openbao.put(path, {"password": "via-jwt"})
    settings = openbao.settings(tmp_path, auth={"method": "jwt", "role": "ci", "mount": mount})
    body = secret_body(string_data={"p": f"ref+vault://secret/{path}#/password"})
    env = base_environ(Path(clean_home), VAULT_JWT=issuer.token())
    [resolved] = resolve_secrets([make_resource(body)], settings, environ=env)
    assert resolved["stringData"] == {"p": "via-jwt"}
    # the same token from a file (VAULT_JWT_FILE), as a CI runner writes it
    token_file = tmp_path / "oidc-token"
    token_file.write_text(issuer.token() + "\n")
    file_env = base_environ(Path(clean_home), VAULT_JWT_FILE=str(token_file))
    with open_session(settings.secrets.vault, file_env) as session:
        assert session.read_data("secret", path, None, "t") == {"password": "via-jwt"}
    # a token for another audience is refused
    forged = JwtIssuer(issuer.key_file, issuer.public_pem, audience="someone-else").token()
    with pytest.raises(VaultAuthenticationError, match="jwt login failed"):
        open_session(settings.secrets.vault, base_environ(Path(clean_home), VAULT_JWT=forged))
