"""Secret references: vals `ref+scheme://…`, argocd-vault-plugin `<path:…>`, ESO remoteRefs.

References are validated, never resolved. Messages name the scheme and path only: a vals
query string may carry credentials (`secret_id=`), so it is never repeated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from validator.model import VaultSettings
from validator.secrets.findings import SECRET_REF_INVALID, SECRET_REF_SCHEME_DENIED

# vals' expression grammar (pkg/expansion/expand_match.go), reduced to what we need
VALS_REF = re.compile(r"(?:secret)?ref\+([^+:/\s]*)://([^+\n ]*[^+\n \",])?\+?")
AVP_INLINE = re.compile(
    r"<path:(?P<path>[^#>]*)(?:#(?P<key>[^#>|]*))?(?:#(?P<version>[^#>|]*))?\s*(?:\|[^>]*)?>"
)
AVP_PLACEHOLDER = re.compile(r"^<[A-Za-z0-9_.\-]+>$")
AVP_PATH_ANNOTATION = "avp.kubernetes.io/path"
VAULT_SCHEMES = frozenset({"vault", "openbao"})

# Whole-value references that an in-cluster operator or injector resolves (never this tool),
# by the scheme name `secrets.allowedReferenceSchemes` uses for them.
STORE_REFERENCES = (
    ("onepassword", re.compile(r"^op://[^/\s]+/[^/\s]+(?:/[^/\s]+){1,2}$")),
    ("azurekeyvault", re.compile(r"^(?:akv|azurekeyvault)://[^/\s]+/[^\s]+$")),
    ("awssecrets", re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:\S+$")),
    ("awsssm", re.compile(r"^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/\S+$")),
    # bank-vaults' webhook syntax: vault:secret/data/app#key[#version]
    ("vault", re.compile(r"^vault:[A-Za-z0-9_.\-/]+#[^#\s]+(?:#\d+)?$")),
)


@dataclass(frozen=True, slots=True)
class SecretReference:
    """A parsed reference, normalised so every resolver sees the same path."""

    syntax: str  # vals | avp
    scheme: str  # vault, openbao, sops, file, exec, …
    path: str  # KV paths without the v2 `data/` segment
    key: str | None
    version: int | None = None
    mount: str | None = None


@dataclass(frozen=True, slots=True)
class RefProblem:
    rule_id: str
    message: str


def find_references(text: str) -> Iterator[str]:
    """Reference expressions inside one string (vals and AVP inline)."""
    for match in VALS_REF.finditer(text):
        yield match.group(0)
    for match in AVP_INLINE.finditer(text):
        yield match.group(0)


def is_reference(value: str) -> bool:
    stripped = value.strip()
    return bool(
        VALS_REF.fullmatch(stripped)
        or AVP_INLINE.fullmatch(stripped)
        or store_reference_scheme(stripped)
    )


def store_reference_scheme(value: str) -> str | None:
    """The scheme of a whole-value operator reference (`op://…`, an AWS ARN…), or None."""
    for scheme, pattern in STORE_REFERENCES:
        if pattern.match(value):
            return scheme
    return None


def normalise_kv(path: str, vault: VaultSettings | None) -> tuple[str | None, str]:
    """(mount, path) with the KV v2 `data/` segment removed: `secret/data/app` → `secret`, `app`."""
    parts = [part for part in path.split("/") if part]
    mount = vault.kv_mount.strip("/") if vault else (parts[0] if parts else None)
    mount_parts = mount.split("/") if mount else []
    if mount and parts[: len(mount_parts)] == mount_parts:
        rest = parts[len(mount_parts) :]
        if (vault is None or vault.kv_version == 2) and rest[:1] == ["data"]:
            rest = rest[1:]
        return mount, "/".join(rest)
    return None, "/".join(parts)


def check_reference(
    expression: str, allowed_schemes: tuple[str, ...], vault: VaultSettings | None
) -> tuple[SecretReference | None, list[RefProblem]]:
    if expression.startswith("<path:"):
        return _check_avp(expression, allowed_schemes, vault)
    return _check_vals(expression, allowed_schemes, vault)


def _check_vals(
    expression: str, allowed: tuple[str, ...], vault: VaultSettings | None
) -> tuple[SecretReference | None, list[RefProblem]]:
    match = VALS_REF.match(expression)
    if match is None:
        return None, [RefProblem(SECRET_REF_INVALID, "reference is not ref+SCHEME://PATH")]
    scheme, rest = match.group(1), match.group(2) or ""
    location, _, fragment = rest.partition("#")
    path, _, query = location.partition("?")
    label = f"ref+{scheme}://{path}"
    if scheme not in allowed:
        listed = ", ".join(allowed) or "none"
        return None, [_denied(f"{label}: scheme not allowed (allowed: {listed})")]
    if scheme == "file" and (path.startswith("/") or ".." in PurePosixPath(path).parts):
        return None, [_denied(f"{label}: file outside the repository")]
    problems = _vals_problems(label, scheme, path, query, fragment)
    version = _query_version(query)
    key = fragment.lstrip("/") or None
    mount, normalised = normalise_kv(path, vault) if scheme in VAULT_SCHEMES else (None, path)
    return SecretReference("vals", scheme, normalised, key, version, mount), problems


def _denied(message: str) -> RefProblem:
    return RefProblem(SECRET_REF_SCHEME_DENIED, message)


def _vals_problems(
    label: str, scheme: str, path: str, query: str, fragment: str
) -> list[RefProblem]:
    problems: list[str] = []
    if not path.strip("/"):
        problems.append("has no path")
    if ".." in PurePosixPath(path).parts:
        problems.append("path contains '..'")
    if scheme in VAULT_SCHEMES and not fragment.strip("/"):
        problems.append("names no key (add #/key)")
    if scheme == "sops" and path.startswith("/"):
        problems.append("sops file must be repository-relative")
    version = dict(part.partition("=")[::2] for part in query.split("&") if part).get("version")
    if version is not None and not version.isdigit():
        problems.append("version must be a positive integer")
    return [RefProblem(SECRET_REF_INVALID, f"{label}: {problem}") for problem in problems]


def _query_version(query: str) -> int | None:
    version = dict(part.partition("=")[::2] for part in query.split("&") if part).get("version")
    return int(version) if version and version.isdigit() else None


def _check_avp(
    expression: str, allowed: tuple[str, ...], vault: VaultSettings | None
) -> tuple[SecretReference | None, list[RefProblem]]:
    match = AVP_INLINE.fullmatch(expression.strip())
    path = (match.group("path") if match else "").strip()
    label = f"<path:{path}>"
    if "vault" not in allowed:
        return None, [
            RefProblem(SECRET_REF_SCHEME_DENIED, f"{label}: vault references not allowed")
        ]
    problems = avp_path_problems(label, path, vault)
    key = (match.group("key") or "").strip() if match else ""
    version = (match.group("version") or "").strip() if match else ""
    if not key:
        problems.append(RefProblem(SECRET_REF_INVALID, f"{label}: names no key (#key)"))
    if version and not version.isdigit():
        problems.append(RefProblem(SECRET_REF_INVALID, f"{label}: version must be an integer"))
    mount, normalised = normalise_kv(path, vault)
    number = int(version) if version.isdigit() else None
    return SecretReference("avp", "vault", normalised, key or None, number, mount), problems


def avp_path_problems(label: str, path: str, vault: VaultSettings | None) -> list[RefProblem]:
    """AVP, unlike hvac and vals, wants the KV v2 `data/` segment spelled out."""
    problems: list[RefProblem] = []
    parts = [part for part in path.split("/") if part]
    if not parts:
        problems.append(RefProblem(SECRET_REF_INVALID, f"{label}: has no path"))
    elif vault is not None and vault.kv_version == 2:
        mount = vault.kv_mount.strip("/").split("/")
        if parts[: len(mount)] == mount and parts[len(mount) : len(mount) + 1] != ["data"]:
            message = f"{label}: KV v2 paths need the data/ segment for argocd-vault-plugin"
            problems.append(RefProblem(SECRET_REF_INVALID, message))
    return problems
