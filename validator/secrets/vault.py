"""Apply time: decrypt SOPS objects and resolve secret references, in memory only.

`resolve_secrets` is what the apply stage calls, after the bundle has been verified. For each
rendered object it
1. decrypts a `sops`-encrypted object with the real sops binary (stdin → stdout, MAC checked),
   after checking its `hc_vault` key addresses against the allowlist;
2. replaces `ref+vault://path#/key` (also `ref+openbao://`, `?version=N`), argocd-vault-plugin
   `<path:mount/data/path#key#version>` and `ref+sops://file#/key` expressions;
3. proves no `sops` block, `ENC[`, `ref+` or `<path:` is left.
Failures raise the value-free errors of `validator.secrets.errors`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from validator.model import Resource, Settings
from validator.secrets.errors import (
    SecretKeyNotFoundError,
    SecretReferenceError,
    SecretResolutionError,
    SopsKeyProviderDeniedError,
)
from validator.secrets.references import VAULT_SCHEMES, SecretReference, check_reference
from validator.secrets.resolve import decrypt_object, decrypt_sops
from validator.secrets.sops_config import denied_keys
from validator.secrets.sops_load import detect_store, load_sops_document
from validator.secrets.sops_metadata import master_keys
from validator.secrets.sops_text import SopsParseError
from validator.secrets.substitute import as_text, assert_resolved, select_key, substitute
from validator.secrets.vault_client import DEFAULT_TIMEOUT_SECONDS, VaultSession, open_session

HC_VAULT_PROVIDER_NAMES = ("hcVault", "hc_vault", "hcvault")
_VAULT_MARKERS = (*(f"ref+{scheme}://" for scheme in VAULT_SCHEMES), "<path:")


def resolve_secrets(
    resources: Sequence[Resource],
    settings: Settings,
    *,
    environ: Mapping[str, str] = os.environ,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> list[dict[str, Any]]:
    """The bodies of `resources`, decrypted and with every reference resolved (same order).

    `environ` supplies the key material: SOPS_AGE_KEY / SOPS_AGE_KEY_FILE / SOPS_AGE_KEY_CMD for
    sops, and the Vault credentials documented in `validator.secrets.vault_client`. Vault is only
    contacted when an object needs it; a token obtained by login is revoked before returning.
    """
    with SecretResolver(settings, environ, timeout=timeout) as resolver:
        # Vault first: a refused login, missing credentials or a token that may not read a
        # referenced path stops the run (exit 8) before sops has decrypted anything.
        if any(needs_vault(resource.body) for resource in resources):
            resolver.log_in()
            for resource in resources:
                resolver.prefetch_vault(resource)
        return [resolver.resolve(resource) for resource in resources]


def needs_vault(body: Mapping[str, Any]) -> bool:
    """Whether resolving `body` asks Vault: a Vault reference (vals or argocd-vault-plugin
    syntax) in a value, or a sops `hc_vault` key."""
    metadata = body.get("sops")
    if isinstance(metadata, Mapping) and metadata.get("hc_vault"):
        return True
    text = json.dumps(body, default=str)  # a sops timestamp may be a datetime
    return any(marker in text for marker in _VAULT_MARKERS)


def hc_vault_allowlist(settings: Settings) -> tuple[str, ...]:
    """Vault addresses sops may send a token to: `allowedKeyProviders.hcVault`, else the
    configured `secrets.vault.address`, else none."""
    providers = settings.secrets.allowed_key_providers
    for name in HC_VAULT_PROVIDER_NAMES:
        if name in providers:
            return tuple(providers[name])
    vault = settings.secrets.vault
    return (vault.address,) if vault is not None else ()


class SecretResolver:
    """Resolution state of one apply: a lazy Vault session and per-run caches (memory only)."""

    def __init__(self, settings: Settings, environ: Mapping[str, str], *, timeout: float) -> None:
        self._settings = settings
        self._environ = environ
        self._timeout = timeout
        self._session: VaultSession | None = None
        self._kv: dict[tuple[str, str, int | None], dict[str, Any]] = {}
        self._sops_files: dict[tuple[str, bool], Any] = {}

    def __enter__(self) -> SecretResolver:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._kv.clear()
        self._sops_files.clear()
        if self._session is not None:
            self._session.close()
            self._session = None

    def resolve(self, resource: Resource) -> dict[str, Any]:
        label = resource.ref.key
        body = self._decrypt(resource.body, label)
        resolved = substitute(body, self._lookup, label)
        assert_resolved(resolved, label)
        return resolved

    # --- SOPS -------------------------------------------------------------------------------

    def _sops_options(self, metadata: object, label: str) -> dict[str, Any]:
        allowlist = hc_vault_allowlist(self._settings)
        hc_keys = [
            key
            for key in master_keys(metadata if isinstance(metadata, Mapping) else {})
            if key.provider == "hc_vault"
        ]
        denied = list(denied_keys(hc_keys, {"hc_vault": allowlist}))
        if denied:
            raise SopsKeyProviderDeniedError(
                f"{label}: sops hc_vault key at {denied[0].identity} is not in "
                "secrets.allowedKeyProviders.hcVault"
            )
        env: dict[str, str] = {}
        if hc_keys and self._settings.secrets.vault is not None:
            env["VAULT_TOKEN"] = self._vault().token  # sops' transit decrypt logs in with it
        # sops 3.13+ enforces this itself; older versions rely on the check above
        return {
            "env": env,
            "base_env": self._environ,
            "hc_vault_allowlist": ",".join(allowlist) or "none",
        }

    def _decrypt(self, body: Mapping[str, Any], label: str) -> Mapping[str, Any]:
        if "sops" not in body:
            return body
        return decrypt_object(body, label=label, **self._sops_options(body["sops"], label))

    def _sops_file(self, relative: str, whole: bool, label: str) -> Any:
        cached = (relative, whole)
        if cached not in self._sops_files:
            root = self._settings.repo_root.resolve()
            path = (root / relative).resolve()
            if not path.is_relative_to(root) or not path.is_file():
                raise SecretReferenceError(
                    f"{label}: ref+sops file {relative} is not in the repository"
                )
            data = path.read_bytes()
            store = detect_store(relative, data.decode("utf-8", "replace"))
            metadata = _sops_metadata(relative, data)
            options = self._sops_options(metadata, label)
            output = store if whole else "json"
            plain = decrypt_sops(data, store, label=relative, output_store=output, **options)
            self._sops_files[cached] = plain.decode() if whole else json.loads(plain)
        return self._sops_files[cached]

    # --- references -------------------------------------------------------------------------

    def _lookup(self, expression: str, label: str) -> str:
        secrets = self._settings.secrets
        reference, problems = check_reference(
            expression, secrets.allowed_reference_schemes, secrets.vault
        )
        if problems or reference is None:
            message = problems[0].message if problems else "unusable reference"
            raise SecretReferenceError(f"{label}: {message}")
        if reference.scheme in VAULT_SCHEMES:
            return self._vault_value(reference, label)
        if reference.scheme == "sops":
            return self._sops_value(reference, label)
        raise SecretReferenceError(
            f"{label}: ref+{reference.scheme} references cannot be resolved at apply time"
        )

    def log_in(self) -> None:
        self._vault()

    def prefetch_vault(self, resource: Resource) -> None:
        """Read the Vault values `resource` references in plain text (cached for `resolve`);
        other references are left for `resolve`, and a sops-encrypted object is not opened."""
        if "sops" in resource.body:
            return

        def vault_only(expression: str, label: str) -> str:
            secrets = self._settings.secrets
            reference, problems = check_reference(
                expression, secrets.allowed_reference_schemes, secrets.vault
            )
            if reference is not None and not problems and reference.scheme in VAULT_SCHEMES:
                self._vault_value(reference, label)
            return expression

        substitute(resource.body, vault_only, resource.ref.key)

    def _vault(self) -> VaultSession:
        if self._session is None:
            self._session = open_session(
                self._settings.secrets.vault, self._environ, timeout=self._timeout
            )
        return self._session

    def _vault_value(self, reference: SecretReference, label: str) -> str:
        session = self._vault()
        mount = session.vault.kv_mount.strip("/")
        if reference.mount is None:
            raise SecretReferenceError(
                f"{label}: {reference.path} is not under the configured KV mount {mount}/"
            )
        where = f"{label} ({reference.mount}/{reference.path})"
        cached = (reference.mount, reference.path, reference.version)
        if cached not in self._kv:
            self._kv[cached] = session.read_data(
                reference.mount, reference.path, reference.version, where
            )
        key = reference.key or ""
        found, value = select_key(
            self._kv[cached], key, "/" if reference.syntax == "vals" else None
        )
        if not found:
            raise SecretKeyNotFoundError(f"{where}: the secret has no key {key!r}")
        return as_text(value)

    def _sops_value(self, reference: SecretReference, label: str) -> str:
        if not reference.key:
            return str(self._sops_file(reference.path, True, label))
        document = self._sops_file(reference.path, False, label)
        found, value = select_key(
            document if isinstance(document, Mapping) else {}, reference.key, "/"
        )
        if not found:
            raise SecretKeyNotFoundError(f"{label}: {reference.path} has no key {reference.key!r}")
        return as_text(value)


def _sops_metadata(relative: str, data: bytes) -> Mapping[str, Any]:
    """The `sops` block of a file (public data), for the key-provider allowlist."""
    try:
        document = load_sops_document(relative, data.decode("utf-8"))
    except (SopsParseError, UnicodeDecodeError):
        raise SecretResolutionError(f"{relative}: not a readable sops file") from None
    return document.metadata or {}
