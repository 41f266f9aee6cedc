"""`.sops.yaml` creation rules and the key-provider allowlist (config/config.go semantics)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from validator.secrets.go_regex import GoRegexError, compile_go, go_search
from validator.secrets.sops_metadata import MasterKey

Recipient = tuple[str, str]  # (metadata provider name, identity)

# .sops.yaml names -> metadata names (the two disagree for azure and vault)
_RULE_PROVIDERS = {
    "age": "age",
    "pgp": "pgp",
    "kms": "kms",
    "gcp_kms": "gcp_kms",
    "azure_keyvault": "azure_kv",
    "hc_vault_transit_uri": "hc_vault",
    "hc_vault": "hc_vault",
    "hckms": "hckms",
}
_GROUP_FIELDS = {
    "kms": "arn",
    "gcp_kms": "resource_id",
    "hckms": "key_id",
}
_ALLOWLIST_ALIASES = {
    "age": "age",
    "pgp": "pgp",
    "kms": "kms",
    "awskms": "kms",
    "gcpkms": "gcp_kms",
    "azurekv": "azure_kv",
    "azurekeyvault": "azure_kv",
    "hcvault": "hc_vault",
    "vault": "hc_vault",
    "hckms": "hckms",
}
_PREFIX_MATCHED = frozenset({"kms", "gcp_kms", "azure_kv", "hc_vault", "hckms"})


class SopsConfigInvalid(Exception):
    """A `.sops.yaml` that cannot be used; the message is value-free."""


@dataclass(frozen=True, slots=True)
class CreationRule:
    index: int
    path_regex: str
    recipients: frozenset[Recipient]


@dataclass(frozen=True, slots=True)
class SopsConfig:
    path: str  # repository-relative
    rules: tuple[CreationRule, ...]

    def rule_for(self, file: str) -> CreationRule | None:
        """First rule whose unanchored path_regex matches the path relative to the config dir."""
        relative = posixpath.relpath(file, posixpath.dirname(self.path) or ".")
        for rule in self.rules:
            if not rule.path_regex or go_search(rule.path_regex, relative):
                return rule
        return None


def normalise(provider: str, identity: str) -> Recipient:
    identity = identity.strip()
    if provider == "pgp":
        identity = identity.replace(" ", "").upper()
    elif provider in _PREFIX_MATCHED:
        identity = identity.rstrip("/")
    return provider, identity


def _split(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part for part in re.split(r"[,\s]+", value) if part]
    if isinstance(value, list):
        return [str(item).strip() for item in value if isinstance(item, str | int) and item]
    return []


def _group_recipients(group: Mapping[str, Any]) -> Iterator[Recipient]:
    for name, provider in _RULE_PROVIDERS.items():
        for item in group.get(name) or []:
            if isinstance(item, str):
                yield normalise(provider, item)
            elif isinstance(item, Mapping) and provider == "azure_kv":
                url = str(item.get("vaultUrl", "")).rstrip("/")
                key = f"{url}/keys/{item.get('key', '')}/{item.get('version', '')}"
                yield normalise(provider, key)
            elif isinstance(item, Mapping) and provider in _GROUP_FIELDS:
                yield normalise(provider, str(item.get(_GROUP_FIELDS[provider], "")))


def _rule_recipients(rule: Mapping[str, Any]) -> frozenset[Recipient]:
    groups = rule.get("key_groups")
    if isinstance(groups, list) and groups:
        return frozenset(
            recipient
            for group in groups
            if isinstance(group, Mapping)
            for recipient in _group_recipients(group)
        )
    found: set[Recipient] = set()
    for name, provider in _RULE_PROVIDERS.items():
        for item in _split(rule.get(name)):
            # kms entries may carry `+role-arn`; the metadata keeps the key ARN only
            found.add(normalise(provider, item.split("+")[0] if provider == "kms" else item))
    return frozenset(found)


def parse_sops_config(path: str, text: str) -> SopsConfig:
    try:
        data = YAML(typ="safe").load(text)
    except (YAMLError, ValueError):  # ValueError: ruamel cannot build a plain `._`
        raise SopsConfigInvalid(f"{path} is not valid YAML") from None
    rules = data.get("creation_rules") if isinstance(data, Mapping) else None
    if not isinstance(rules, list):
        raise SopsConfigInvalid(f"{path} has no creation_rules list")
    parsed: list[CreationRule] = []
    for index, rule in enumerate(rules):
        if not isinstance(rule, Mapping):
            raise SopsConfigInvalid(f"{path}: creation rule #{index} is not a mapping")
        regex = str(rule.get("path_regex") or "")
        try:
            compile_go(regex)
        except GoRegexError as error:
            raise SopsConfigInvalid(
                f"{path}: creation rule #{index} path_regex is not a Go (RE2) regular "
                f"expression ({error})"
            ) from None
        parsed.append(CreationRule(index, regex, _rule_recipients(rule)))
    return SopsConfig(path, tuple(parsed))


def find_sops_config(repo_root: Path, file: str, configured: str | None) -> str | None:
    """Repository-relative path of the `.sops.yaml` governing `file`.

    With no configured path we take the nearest `.sops.yaml` from the file's directory up to
    the repository root — where a committer runs sops from the file's folder or above.
    """
    if configured:
        return configured
    directory = posixpath.dirname(file)
    while True:
        candidate = posixpath.join(directory, ".sops.yaml") if directory else ".sops.yaml"
        if (repo_root / candidate).is_file():
            return candidate
        if not directory:
            return None
        directory = posixpath.dirname(directory)


def recipients_of(keys: Iterable[MasterKey]) -> frozenset[Recipient]:
    return frozenset(normalise(key.provider, key.identity) for key in keys)


def denied_keys(
    keys: Iterable[MasterKey], allowed: Mapping[str, Iterable[str]]
) -> Iterator[MasterKey]:
    """Keys outside `allowed`; an empty allowlist allows everything (nothing configured)."""
    if not allowed:
        return
    table: dict[str, list[str]] = {}
    for name, values in allowed.items():
        provider = _ALLOWLIST_ALIASES.get(re.sub(r"[_\-]", "", name.lower()), name)
        table.setdefault(provider, []).extend(values)
    for key in keys:
        _, identity = normalise(key.provider, key.identity)
        if not any(_allows(key.provider, entry, identity) for entry in table.get(key.provider, [])):
            yield key


def _allows(provider: str, entry: str, identity: str) -> bool:
    _, entry = normalise(provider, entry)
    if entry in ("*", identity):
        return True
    if provider not in _PREFIX_MATCHED or not identity.startswith(entry):
        return False
    # a prefix must end at a boundary: https://vault.corp must not allow https://vault.corp.evil
    return entry.endswith(("/", ":")) or identity[len(entry)] in "/:"
