"""All keyless checks of one SOPS file: structure, encryption map, creation rule, allowlist."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from validator.guarded import GuardError, read_yaml_text
from validator.model import ConfigError, Finding
from validator.secrets.findings import (
    SOPS_INVALID_METADATA,
    SOPS_KEY_PROVIDER_DENIED,
    SOPS_NO_CREATION_RULE,
    SOPS_RECIPIENTS_MISMATCH,
    file_finding,
)
from validator.secrets.sops_config import (
    SopsConfig,
    SopsConfigInvalid,
    denied_keys,
    find_sops_config,
    parse_sops_config,
    recipients_of,
)
from validator.secrets.sops_encryption import encryption_problems
from validator.secrets.sops_load import SopsDocument, detect_store, load_sops_document
from validator.secrets.sops_metadata import master_keys, metadata_problems
from validator.secrets.sops_text import SopsParseError
from validator.secrets.sops_values import looks_encrypted
from validator.settings import DEFAULT_REFERENCE_SCHEMES

MAX_SOPS_CONFIG_BYTES = 1 << 20


@dataclass
class SopsContext:
    """What the per-file checks share: settings and the parsed `.sops.yaml` files."""

    repo_root: Path
    sops_config: str | None = None
    allowed_key_providers: Mapping[str, Iterable[str]] = field(default_factory=dict)
    reference_schemes: tuple[str, ...] = DEFAULT_REFERENCE_SCHEMES  # for ksops generators
    _configs: dict[str, SopsConfig | SopsConfigInvalid] = field(default_factory=dict)
    _reported: set[str] = field(default_factory=set)

    def config(self, path: str) -> SopsConfig | SopsConfigInvalid:
        if path not in self._configs:
            full = self.repo_root / path
            if not full.is_file():
                raise ConfigError(f"secrets.sopsConfig {path} does not exist")
            try:
                text = read_yaml_text(full, limit=MAX_SOPS_CONFIG_BYTES, display=path)
                self._configs[path] = parse_sops_config(path, text)
            except SopsConfigInvalid as error:
                self._configs[path] = error
            except GuardError as error:
                self._configs[path] = SopsConfigInvalid(f"line {error.line}: {error.reason}")
        return self._configs[path]

    def first_report(self, key: str) -> bool:
        fresh = key not in self._reported
        self._reported.add(key)
        return fresh


def is_binary_envelope(text: str) -> bool:
    """sops' binary store writes `{"data": "ENC[…]", "sops": {…}}` whatever the file name."""
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and "sops" in data and "data" in data


def check_sops_file(file: str, text: str, context: SopsContext) -> list[Finding]:
    """Findings for one repository file that looks like SOPS output (empty if it is not)."""
    try:
        document = load_sops_document(file, text)
    except SopsParseError as error:
        store = detect_store(file, text)
        message = f"cannot be read as a sops {store} file: {error}"
        return [file_finding(SOPS_INVALID_METADATA, message, file, error.line)]
    has_ciphertext = any(looks_encrypted(leaf.value) for leaf in document.leaves)
    if document.metadata is None and not has_ciphertext:
        return []
    findings = [
        file_finding(problem.rule_id, problem.message, file, problem.line)
        for problem in encryption_problems(document)
    ]
    if document.metadata is None:
        message = "holds ENC[…] values but no sops metadata block: it cannot be decrypted"
        return [file_finding(SOPS_INVALID_METADATA, message, file), *findings]
    line = document.metadata_line
    findings.extend(
        file_finding(SOPS_INVALID_METADATA, problem, file, line)
        for problem in metadata_problems(document.metadata)
    )
    findings.extend(_rule_findings(document, context))
    findings.extend(
        file_finding(
            SOPS_KEY_PROVIDER_DENIED,
            f"{key.provider} key {key.identity} is not allowed by secrets.allowedKeyProviders",
            file,
            line,
        )
        for key in denied_keys(master_keys(document.metadata), context.allowed_key_providers)
    )
    return findings


def _rule_findings(document: SopsDocument, context: SopsContext) -> list[Finding]:
    assert document.metadata is not None
    config_path = find_sops_config(context.repo_root, document.path, context.sops_config)
    if config_path is None:
        return []
    config = context.config(config_path)
    if isinstance(config, SopsConfigInvalid):
        if not context.first_report(config_path):
            return []
        return [file_finding(SOPS_NO_CREATION_RULE, str(config), config_path)]
    rule = config.rule_for(document.path)
    if rule is None:
        message = f"no creation rule in {config_path} matches this file (sops would refuse it)"
        return [file_finding(SOPS_NO_CREATION_RULE, message, document.path)]
    actual = recipients_of(master_keys(document.metadata))
    where = f"creation rule #{rule.index} of {config_path}"
    findings = [
        file_finding(
            SOPS_RECIPIENTS_MISMATCH,
            f"encrypted to {provider} {identity}, which {where} does not list",
            document.path,
            document.metadata_line,
        )
        for provider, identity in sorted(actual - rule.recipients)
    ]
    findings.extend(
        file_finding(
            SOPS_RECIPIENTS_MISMATCH,
            f"{where} lists {provider} {identity} but the file is not encrypted to it "
            "(run `sops updatekeys`)",
            document.path,
            document.metadata_line,
        )
        for provider, identity in sorted(rule.recipients - actual)
    )
    return findings
