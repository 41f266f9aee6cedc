"""Structural checks of the `sops` metadata block (stores/stores.go rules, checkable keylessly)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from validator.secrets.go_regex import go_compiles
from validator.secrets.sops_values import check_mac

SELECTORS = (
    "unencrypted_suffix",
    "encrypted_suffix",
    "unencrypted_regex",
    "encrypted_regex",
    "unencrypted_comment_regex",
    "encrypted_comment_regex",
)
DEFAULT_SELECTOR = ("unencrypted_suffix", "_unencrypted")


@dataclass(frozen=True, slots=True)
class Provider:
    fields: tuple[str, ...]  # required non-empty fields; the first one identifies the key
    armor: str | None  # how `enc` starts when the provider writes armored/prefixed text
    has_created_at: bool


PROVIDERS: dict[str, Provider] = {
    "age": Provider(("recipient", "enc"), "-----BEGIN AGE ENCRYPTED FILE-----", False),
    "pgp": Provider(("fp", "enc"), "-----BEGIN PGP MESSAGE-----", True),
    "kms": Provider(("arn", "enc"), None, True),
    "gcp_kms": Provider(("resource_id", "enc"), None, True),
    "azure_kv": Provider(("vault_url", "name", "enc"), None, True),
    "hc_vault": Provider(("vault_address", "engine_path", "key_name", "enc"), "vault:v", True),
    "hckms": Provider(("key_id", "enc"), None, True),
}

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True, slots=True)
class MasterKey:
    provider: str
    identity: str  # recipient / fingerprint / ARN / resource id / URI — public data
    entry: Mapping[str, Any]


def is_rfc3339(value: object) -> bool:
    if isinstance(value, datetime):
        return value.tzinfo is not None
    if not isinstance(value, str) or not _RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def key_groups(metadata: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """sops writes keys at top level when there is one group, under `key_groups` otherwise."""
    groups = metadata.get("key_groups")
    if isinstance(groups, list) and groups:
        return [group for group in groups if isinstance(group, Mapping)]
    return [metadata]


def identity_of(provider: str, entry: Mapping[str, Any]) -> str:
    """The same identity a `.sops.yaml` creation rule uses for this key."""
    if provider == "azure_kv":
        url = str(entry.get("vault_url", "")).rstrip("/")
        return f"{url}/keys/{entry.get('name', '')}/{entry.get('version', '')}".rstrip("/")
    if provider == "hc_vault":
        address = str(entry.get("vault_address", "")).rstrip("/")
        return f"{address}/v1/{entry.get('engine_path', '')}/keys/{entry.get('key_name', '')}"
    return str(entry.get(PROVIDERS[provider].fields[0], ""))


def master_keys(metadata: Mapping[str, Any]) -> list[MasterKey]:
    keys: list[MasterKey] = []
    for group in key_groups(metadata):
        for provider in PROVIDERS:
            entries = group.get(provider)
            if isinstance(entries, list):
                keys.extend(
                    MasterKey(provider, identity_of(provider, entry), entry)
                    for entry in entries
                    if isinstance(entry, Mapping)
                )
    return keys


def selector(metadata: Mapping[str, Any]) -> tuple[str, str]:
    """The one selector in effect (name, value); sops defaults to `_unencrypted` suffix."""
    for name in SELECTORS:
        value = metadata.get(name)
        if isinstance(value, str) and value:
            return name, value
    return DEFAULT_SELECTOR


def metadata_problems(metadata: Any) -> Iterator[str]:
    """Every reason sops (or a reviewer) would reject this metadata block; value-free."""
    if not isinstance(metadata, Mapping):
        yield "the sops metadata block is not a mapping"
        return
    if not isinstance(metadata.get("version"), str | int | float) or not metadata.get("version"):
        yield "sops metadata has no version"
    mac_problem = check_mac(metadata.get("mac"))
    if mac_problem:
        yield mac_problem
    if not is_rfc3339(metadata.get("lastmodified")):
        yield "lastmodified is missing or not an RFC 3339 timestamp"
    yield from _selector_problems(metadata)
    yield from _key_problems(metadata)
    mac_only = metadata.get("mac_only_encrypted")
    if mac_only is not None and mac_only not in (True, False, "true", "false"):
        yield "mac_only_encrypted must be true or false"


def _selector_problems(metadata: Mapping[str, Any]) -> Iterator[str]:
    present = [name for name in SELECTORS if metadata.get(name) not in (None, "")]
    if len(present) > 1:
        yield "more than one encryption selector is set: " + ", ".join(present)
    for name in present:
        value = metadata[name]
        if not isinstance(value, str):
            yield f"{name} must be a string"
        elif name.endswith("_regex") and not go_compiles(value):
            # sops ignores compile errors, so a broken encrypted_regex encrypts nothing
            yield f"{name} does not compile as a Go (RE2) regular expression"


def _key_problems(metadata: Mapping[str, Any]) -> Iterator[str]:
    groups = key_groups(metadata)
    for index, group in enumerate(groups):
        for provider, spec in PROVIDERS.items():
            entries = group.get(provider)
            if entries is None or entries == []:
                continue
            if not isinstance(entries, list):
                yield f"{provider} must be a list of keys"
                continue
            for position, entry in enumerate(entries):
                where = f"key group {index} {provider}[{position}]"
                yield from _entry_problems(where, spec, entry)
    if not master_keys(metadata):
        yield "no master key (age, pgp, kms, gcp_kms, azure_kv, hc_vault, hckms) in metadata"
    threshold = metadata.get("shamir_threshold")
    if threshold not in (None, ""):
        if not str(threshold).isdigit() or int(str(threshold)) < 1:
            yield "shamir_threshold must be a positive integer"
        elif int(str(threshold)) > len(groups):
            yield f"shamir_threshold {threshold} exceeds the {len(groups)} key group(s)"


def _entry_problems(where: str, spec: Provider, entry: object) -> Iterator[str]:
    if not isinstance(entry, Mapping):
        yield f"{where} is not a mapping"
        return
    for name in spec.fields:
        if not isinstance(entry.get(name), str) or not entry.get(name):
            yield f"{where} has no {name}"
    enc = entry.get("enc")
    if spec.armor and isinstance(enc, str) and enc and not enc.startswith(spec.armor):
        yield f"{where} enc does not start with {spec.armor!r}"
    if spec.has_created_at and not is_rfc3339(entry.get("created_at")):
        yield f"{where} created_at is missing or not an RFC 3339 timestamp"
