"""A typed, value-free wrapper around `hvac` for Vault and OpenBao KV engines.

Credentials come from the environment only (never from the repository):

- `token` (default): `VAULT_TOKEN`;
- `approle`: `VAULT_ROLE_ID` (or config `auth.roleId`) and `VAULT_SECRET_ID`;
- `jwt` (e.g. GitHub OIDC): `VAULT_JWT`, else the file named by `VAULT_JWT_FILE`; `auth.role`;
- `kubernetes`: the file named by `VAULT_K8S_TOKEN_FILE`, else the pod's service-account token
  (/var/run/secrets/kubernetes.io/serviceaccount/token); `auth.role`.
Every method but `token` takes the auth mount from `auth.mount` (default: the method's name).

`VAULT_CACERT` names a CA bundle for TLS. Tokens obtained by a login are revoked on close;
a token handed in through `VAULT_TOKEN` is left alone. Nothing is read from `~/.vault-token`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any

import hvac
import requests
from hvac import exceptions as hvac_errors

from validator.model import VaultSettings
from validator.secrets.errors import (
    SecretPathNotFoundError,
    SecretResolutionError,
    SecretVersionDeletedError,
    VaultAuthenticationError,
    VaultConfigurationError,
    VaultCredentialsMissingError,
    VaultPermissionDeniedError,
    VaultUnreachableError,
)

DEFAULT_TIMEOUT_SECONDS = 10.0
K8S_TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token"
AUTH_METHODS = ("token", "approle", "jwt", "kubernetes")


@contextmanager
def vault_errors(label: str, address: str) -> Iterator[None]:
    """Translate hvac/requests failures into value-free errors (their text is never kept)."""
    try:
        yield
    except hvac_errors.Forbidden:
        raise VaultPermissionDeniedError(
            f"{label}: permission denied (the token's policy does not allow this, "
            "or the token is invalid or expired)"
        ) from None
    except hvac_errors.Unauthorized:
        raise VaultAuthenticationError(f"{label}: Vault rejected the credentials") from None
    except hvac_errors.InvalidPath:
        raise SecretPathNotFoundError(f"{label}: no secret at this path") from None
    except (hvac_errors.VaultDown, hvac_errors.BadGateway, requests.exceptions.RequestException):
        raise VaultUnreachableError(
            f"{label}: Vault at {address} is unreachable (connection failed, timed out or sealed)"
        ) from None
    except hvac_errors.VaultError as error:
        raise SecretResolutionError(
            f"{label}: Vault refused the request ({type(error).__name__})"
        ) from None


class VaultSession:
    """One authenticated client; use as a context manager so login tokens get revoked."""

    def __init__(self, client: Any, vault: VaultSettings, *, revoke_on_close: bool) -> None:
        self._client = client
        self.vault = vault
        self._revoke_on_close = revoke_on_close

    @property
    def token(self) -> str:
        return str(self._client.token)

    def read_data(self, mount: str, path: str, version: int | None, label: str) -> dict[str, Any]:
        """The key/value map stored at `path` (KV v1, or the given KV v2 version)."""
        if self.vault.kv_version == 1:
            if version is not None:
                raise SecretResolutionError(f"{label}: KV v1 has no versions; remove the pin")
            with vault_errors(label, self.vault.address):
                answer = self._client.secrets.kv.v1.read_secret(path=path, mount_point=mount)
            return _mapping(answer.get("data"))
        with vault_errors(label, self.vault.address):
            try:
                answer = self._client.secrets.kv.v2.read_secret_version(
                    path=path, version=version, mount_point=mount, raise_on_deleted_version=True
                )
            except hvac_errors.InvalidPath as missing:
                raise _deleted_or_missing(missing.json, label, version) from None
        return _mapping(_mapping(answer.get("data")).get("data"))

    def read_metadata(self, mount: str, path: str, label: str) -> dict[str, Any]:
        """KV v2 metadata (versions, deletion times): never a value."""
        with vault_errors(label, self.vault.address):
            answer = self._client.secrets.kv.v2.read_secret_metadata(path=path, mount_point=mount)
        return _mapping(answer.get("data"))

    def list_keys(self, mount: str, folder: str, label: str) -> list[str]:
        """Names under a KV v1 folder (LIST): proves existence without reading a value."""
        with vault_errors(label, self.vault.address):
            answer = self._client.secrets.kv.v1.list_secrets(path=folder, mount_point=mount)
        keys = _mapping(answer.get("data") if isinstance(answer, Mapping) else None).get("keys")
        return [str(key) for key in keys] if isinstance(keys, list) else []

    def close(self) -> None:
        if self._revoke_on_close:
            self._revoke_on_close = False
            # best effort: the login token's TTL still bounds its life
            with suppress(hvac_errors.VaultError, requests.exceptions.RequestException):
                self._client.auth.token.revoke_self()
        self._client.adapter.close()

    def __enter__(self) -> VaultSession:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def _mapping(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _deleted_or_missing(body: object, label: str, version: int | None) -> SecretResolutionError:
    """Vault answers 404 for deleted and destroyed versions too; its metadata tells them apart."""
    data = body.get("data") if isinstance(body, Mapping) else None
    metadata = _mapping(data.get("metadata") if isinstance(data, Mapping) else None)
    which = f"version {version}" if version is not None else "the latest version"
    if metadata.get("destroyed") is True:
        return SecretVersionDeletedError(f"{label}: {which} was destroyed")
    if metadata.get("deletion_time"):
        return SecretVersionDeletedError(f"{label}: {which} was deleted")
    if version is not None:
        return SecretPathNotFoundError(f"{label}: no secret at this path with version {version}")
    return SecretPathNotFoundError(f"{label}: no secret at this path")


def open_session(
    vault: VaultSettings | None,
    environ: Mapping[str, str],
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> VaultSession:
    """Log in with the configured method; raises before any secret is read if that fails."""
    if vault is None:
        raise VaultConfigurationError(
            "a Vault reference needs secrets.vault (address, kvMount, kvVersion) in the config"
        )
    if vault.kv_version not in (1, 2):
        raise VaultConfigurationError(
            f"secrets.vault.kvVersion must be 1 or 2, not {vault.kv_version}"
        )
    method = str(vault.auth.get("method") or "token")
    login = _LOGINS.get(method)
    if login is None:
        allowed = ", ".join(AUTH_METHODS)
        raise VaultConfigurationError(f"unknown Vault auth method {method!r} (use {allowed})")
    client = hvac.Client(
        url=vault.address, token="", timeout=timeout, verify=environ.get("VAULT_CACERT") or True
    )
    try:
        with vault_errors(f"Vault {method} login", vault.address):
            login(client, vault.auth, environ)
    except (VaultUnreachableError, VaultConfigurationError):
        client.adapter.close()
        raise
    except SecretResolutionError:
        client.adapter.close()
        raise VaultAuthenticationError(
            f"Vault {method} login failed (wrong credentials, role or auth mount)"
        ) from None
    return VaultSession(client, vault, revoke_on_close=method != "token")


def _required(environ: Mapping[str, str], name: str, method: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise VaultCredentialsMissingError(
            f"Vault {method} auth needs the {name} environment variable"
        )
    return value


def _role(auth: Mapping[str, Any], method: str) -> str:
    role = str(auth.get("role") or "").strip()
    if not role:
        raise VaultConfigurationError(f"Vault {method} auth needs secrets.vault.auth.role")
    return role


def _read_token_file(path: str, method: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError:
        raise VaultCredentialsMissingError(
            f"Vault {method} auth: cannot read the token file {path}"
        ) from None


def _token_login(client: Any, auth: Mapping[str, Any], environ: Mapping[str, str]) -> None:
    # Not verified here: a valid token without the default policy may not look itself up. The
    # resolver reads every Vault reference before it decrypts anything instead.
    client.token = _required(environ, "VAULT_TOKEN", "token")


def _approle_login(client: Any, auth: Mapping[str, Any], environ: Mapping[str, str]) -> None:
    role_id = environ.get("VAULT_ROLE_ID") or str(auth.get("roleId") or "")
    if not role_id:
        raise VaultCredentialsMissingError(
            "Vault approle auth needs VAULT_ROLE_ID (or auth.roleId)"
        )
    secret_id = _required(environ, "VAULT_SECRET_ID", "approle")
    mount = str(auth.get("mount") or "approle")
    client.auth.approle.login(role_id=role_id, secret_id=secret_id, mount_point=mount)


def _jwt_login(client: Any, auth: Mapping[str, Any], environ: Mapping[str, str]) -> None:
    token = environ.get("VAULT_JWT", "").strip()
    if not token:
        token = _read_token_file(_required(environ, "VAULT_JWT_FILE", "jwt"), "jwt")
    client.auth.jwt.jwt_login(
        role=_role(auth, "jwt"), jwt=token, path=str(auth.get("mount") or "jwt")
    )


def _kubernetes_login(client: Any, auth: Mapping[str, Any], environ: Mapping[str, str]) -> None:
    path = environ.get("VAULT_K8S_TOKEN_FILE") or K8S_TOKEN_FILE
    client.auth.kubernetes.login(
        role=_role(auth, "kubernetes"),
        jwt=_read_token_file(path, "kubernetes"),
        mount_point=str(auth.get("mount") or "kubernetes"),
    )


_LOGINS: dict[str, Callable[[Any, Mapping[str, Any], Mapping[str, str]], None]] = {
    "token": _token_login,
    "approle": _approle_login,
    "jwt": _jwt_login,
    "kubernetes": _kubernetes_login,
}
