"""`.sops.yaml` conformance and the key-provider allowlist, through `scan_repository`."""

from __future__ import annotations

from pathlib import Path

import pytest
from secrets_support import CANARY, AgeKey, Encrypt, make_settings, write

from validator.model import ConfigError, Finding
from validator.secrets import scan_repository

SECRET = f"""apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  password: {CANARY}
"""
K8S = ["--encrypted-regex", "^(data|stringData)$"]


def sops_rules(dev: AgeKey, prod: AgeKey) -> str:
    return (
        "creation_rules:\n"
        f"  - path_regex: ^dev/.*\\.yaml$\n    age: {dev.recipient}\n"
        f"  - path_regex: ^prod/.*\\.yaml$\n    age: >-\n      {prod.recipient}\n"
    )


def rule_ids(findings: list[Finding]) -> list[str]:
    return sorted(finding.rule_id for finding in findings)


@pytest.fixture
def repo(tmp_path: Path, dev_key: AgeKey, prod_key: AgeKey) -> Path:
    write(tmp_path, "secrets/.sops.yaml", sops_rules(dev_key, prod_key))
    return tmp_path


def test_matching_rule_and_recipients_pass(
    repo: Path, encrypt: Encrypt, dev_key: AgeKey, prod_key: AgeKey
) -> None:
    write(repo, "secrets/dev/db.yaml", encrypt(SECRET, "db.yaml", [dev_key.recipient], K8S))
    write(repo, "secrets/prod/db.yaml", encrypt(SECRET, "db.yaml", [prod_key.recipient], K8S))
    assert scan_repository(make_settings(repo)) == []


def test_prod_secret_encrypted_to_dev_key_is_a_mismatch(
    repo: Path, encrypt: Encrypt, dev_key: AgeKey, prod_key: AgeKey
) -> None:
    write(repo, "secrets/prod/db.yaml", encrypt(SECRET, "db.yaml", [dev_key.recipient], K8S))
    findings = scan_repository(make_settings(repo))
    assert rule_ids(findings) == ["sops-recipients-mismatch"] * 2
    messages = " ".join(finding.message for finding in findings)
    assert f"encrypted to age {dev_key.recipient}" in messages
    assert f"lists age {prod_key.recipient}" in messages
    assert findings[0].location is not None
    assert findings[0].location.file == "secrets/prod/db.yaml"


def test_removed_recipient_still_present_is_a_mismatch(
    repo: Path, encrypt: Encrypt, dev_key: AgeKey, prod_key: AgeKey
) -> None:
    both = [dev_key.recipient, prod_key.recipient]
    write(repo, "secrets/dev/db.yaml", encrypt(SECRET, "db.yaml", both, K8S))
    findings = scan_repository(make_settings(repo))
    assert rule_ids(findings) == ["sops-recipients-mismatch"]
    assert prod_key.recipient in findings[0].message


def test_file_without_creation_rule(repo: Path, encrypt: Encrypt) -> None:
    write(repo, "secrets/stage/db.yaml", encrypt(SECRET, "db.yaml", extra=K8S))
    findings = scan_repository(make_settings(repo))
    assert rule_ids(findings) == ["sops-no-creation-rule"]


def test_configured_sops_config_is_used(tmp_path: Path, encrypt: Encrypt, prod_key: AgeKey) -> None:
    write(tmp_path, "config/sops.yaml", f"creation_rules:\n  - age: {prod_key.recipient}\n")
    write(tmp_path, "app/db.yaml", encrypt(SECRET, "db.yaml", [prod_key.recipient], K8S))
    assert scan_repository(make_settings(tmp_path, sops_config="config/sops.yaml")) == []
    with pytest.raises(ConfigError, match=r"missing\.yaml"):
        scan_repository(make_settings(tmp_path, sops_config="missing.yaml"))


def test_broken_sops_config_is_reported_once(tmp_path: Path, encrypt: Encrypt) -> None:
    write(tmp_path, ".sops.yaml", "creation_rules: {not: a list}\n")
    write(tmp_path, "a.yaml", encrypt(SECRET, "a.yaml", extra=K8S))
    write(tmp_path, "b.yaml", encrypt(SECRET, "b.yaml", extra=K8S))
    findings = scan_repository(make_settings(tmp_path))
    assert rule_ids(findings) == ["sops-no-creation-rule"]
    assert findings[0].location is not None and findings[0].location.file == ".sops.yaml"


def test_sops_yml_is_flagged(tmp_path: Path) -> None:
    write(tmp_path, ".sops.yml", "creation_rules: []\n")
    assert rule_ids(scan_repository(make_settings(tmp_path))) == ["sops-no-creation-rule"]


def test_age_recipient_outside_allowlist_is_denied(
    tmp_path: Path, encrypt: Encrypt, dev_key: AgeKey, prod_key: AgeKey
) -> None:
    write(tmp_path, "db.yaml", encrypt(SECRET, "db.yaml", [dev_key.recipient], K8S))
    allowed = make_settings(tmp_path, allowed_key_providers={"age": (dev_key.recipient,)})
    assert scan_repository(allowed) == []
    denied = make_settings(tmp_path, allowed_key_providers={"age": (prod_key.recipient,)})
    findings = scan_repository(denied)
    assert rule_ids(findings) == ["sops-key-provider-denied"]
    assert dev_key.recipient in findings[0].message


def _with_vault_key(text: str, address: str) -> str:
    vault = (
        "    hc_vault:\n"
        f"        - vault_address: {address}\n"
        "          engine_path: transit\n"
        "          key_name: apps\n"
        "          created_at: '2025-01-01T00:00:00Z'\n"
        "          enc: vault:v1:c29tZXRoaW5n\n"
    )
    return text.replace("sops:\n", "sops:\n" + vault, 1)


@pytest.mark.parametrize(
    ("address", "denied"),
    [
        ("https://vault.example.com", False),
        ("https://vault.example.com:8200", False),
        ("https://vault.example.com.evil.io", True),
        ("https://attacker.example.net", True),
    ],
)
def test_hc_vault_address_allowlist(
    tmp_path: Path, encrypt: Encrypt, dev_key: AgeKey, address: str, denied: bool
) -> None:
    text = _with_vault_key(encrypt(SECRET, "db.yaml", [dev_key.recipient], K8S), address)
    write(tmp_path, "db.yaml", text)
    allow = {"age": ("*",), "hcVault": ("https://vault.example.com",)}
    findings = scan_repository(make_settings(tmp_path, allowed_key_providers=allow))
    assert rule_ids(findings) == (["sops-key-provider-denied"] if denied else [])
    if denied:
        assert "hc_vault key " + address in findings[0].message


def test_provider_missing_from_allowlist_is_denied(
    tmp_path: Path, encrypt: Encrypt, dev_key: AgeKey
) -> None:
    write(tmp_path, "db.yaml", encrypt(SECRET, "db.yaml", [dev_key.recipient], K8S))
    settings = make_settings(tmp_path, allowed_key_providers={"pgp": ("*",)})
    assert rule_ids(scan_repository(settings)) == ["sops-key-provider-denied"]
