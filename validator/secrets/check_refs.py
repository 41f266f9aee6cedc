"""`--check-refs`: prove every Vault reference points at something that exists, reading no value.

KV v2 is checked through the `metadata/` endpoint (path, versions, deletion and destruction), so
the token needs only `read` on `<mount>/metadata/*`. KV v1 has no metadata: existence is proved by
LISTing the parent folder (`list` on `<mount>/*`). Whether a *key* exists cannot be known without
reading the value, so keys are not checked. References that validation already reports as
malformed or denied are skipped here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from validator.model import Finding, Resource, Settings, Severity
from validator.secrets.errors import SecretPathNotFoundError, VaultPermissionDeniedError
from validator.secrets.findings import SECRET_REF_INVALID, object_finding
from validator.secrets.references import (
    VAULT_SCHEMES,
    SecretReference,
    check_reference,
    find_references,
)
from validator.secrets.rendered import Path, walk_strings
from validator.secrets.vault_client import DEFAULT_TIMEOUT_SECONDS, VaultSession, open_session

_FRACTION = re.compile(r"(\.\d{6})\d+")


def check_references(
    resources: Sequence[Resource],
    settings: Settings,
    *,
    environ: Mapping[str, str] = os.environ,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> list[Finding]:
    """`secret-ref-invalid` findings for Vault references whose path or pinned version is
    missing, deleted or destroyed. Raises VaultUnreachableError / VaultAuthenticationError /
    VaultConfigurationError when the check cannot run at all."""
    found = list(_vault_references(resources, settings))
    if not found:
        return []
    with open_session(settings.secrets.vault, environ, timeout=timeout) as session:
        checker = _Checker(session)
        return [
            object_finding(SECRET_REF_INVALID, message, resource, path, severity)
            for resource, path, reference in found
            for message, severity in checker.problems(reference)
        ]


def _vault_references(
    resources: Sequence[Resource], settings: Settings
) -> Iterator[tuple[Resource, Path, SecretReference]]:
    secrets = settings.secrets
    for resource in resources:
        for path, value in walk_strings(resource.body):
            for expression in find_references(value):
                reference, problems = check_reference(
                    expression, secrets.allowed_reference_schemes, secrets.vault
                )
                if reference is not None and not problems and reference.scheme in VAULT_SCHEMES:
                    yield resource, path, reference


class _Checker:
    def __init__(self, session: VaultSession) -> None:
        self._session = session
        self._metadata: dict[tuple[str, str], dict[str, Any] | tuple[str, Severity]] = {}

    def problems(self, reference: SecretReference) -> list[tuple[str, Severity]]:
        mount = self._session.vault.kv_mount.strip("/")
        if reference.mount is None:
            message = f"{reference.path} is not under the configured KV mount {mount}/"
            return [(message, Severity.ERROR)]
        label = f"Vault secret {reference.mount}/{reference.path}"
        if self._session.vault.kv_version == 1:
            return self._kv1_problems(reference, label)
        metadata = self._lookup(reference.mount, reference.path, label)
        if isinstance(metadata, tuple):
            return [metadata]
        problem = _version_problem(metadata, reference.version)
        return [(f"{label}: {problem}", Severity.ERROR)] if problem else []

    def _lookup(self, mount: str, path: str, label: str) -> dict[str, Any] | tuple[str, Severity]:
        """Metadata, or the problem message (cached: many objects name the same secret)."""
        cached = (mount, path)
        if cached not in self._metadata:
            try:
                self._metadata[cached] = self._session.read_metadata(mount, path, label)
            except SecretPathNotFoundError:
                self._metadata[cached] = (f"{label} does not exist", Severity.ERROR)
            except VaultPermissionDeniedError:
                self._metadata[cached] = (f"{label} cannot be checked: {_DENIED}", Severity.WARNING)
        return self._metadata[cached]

    def _kv1_problems(self, reference: SecretReference, label: str) -> list[tuple[str, Severity]]:
        if reference.version is not None:
            return [(f"{label}: KV v1 has no versions; remove the version pin", Severity.ERROR)]
        folder, _, name = reference.path.rpartition("/")
        try:
            names = self._session.list_keys(reference.mount or "", folder, label)
        except SecretPathNotFoundError:
            names = []
        except VaultPermissionDeniedError:
            message = f"{label} cannot be checked: {_DENIED}"
            return [(message, Severity.WARNING)]
        return [] if name in names else [(f"{label} does not exist", Severity.ERROR)]


_DENIED = "the check token may not read its metadata (or list its folder for KV v1)"


def _version_problem(metadata: Mapping[str, Any], pinned: int | None) -> str | None:
    versions = metadata.get("versions")
    versions = versions if isinstance(versions, Mapping) else {}
    current = metadata.get("current_version")
    number = pinned if pinned is not None else current
    which = f"version {pinned}" if pinned is not None else f"the latest version ({current})"
    entry = versions.get(str(number))
    if not isinstance(entry, Mapping):
        return f"version {pinned} does not exist (the latest is {current})"
    if entry.get("destroyed") is True:
        return f"{which} was destroyed"
    if _is_past(entry.get("deletion_time")):
        return f"{which} was deleted"
    return None


def _is_past(timestamp: object) -> bool:
    """Vault may schedule a deletion in the future (`delete_version_after`): only past counts."""
    if not isinstance(timestamp, str) or not timestamp:
        return False
    text = _FRACTION.sub(r"\1", timestamp.replace("Z", "+00:00"))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return True  # unreadable but set: treat as deleted rather than pass silently
    return moment <= datetime.now(UTC)
