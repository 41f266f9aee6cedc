"""SOPS structure and expected-vs-actual encryption, on files written by the real sops."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from secrets_support import CANARY, Encrypt

from validator.model import Finding
from validator.secrets.sops_check import SopsContext, check_sops_file

SECRET_YAML = f"""apiVersion: v1
kind: Secret
metadata:
  name: db
type: Opaque
stringData:
  password: {CANARY}
  username: app
"""
K8S_REGEX = ["--encrypted-regex", "^(data|stringData)$"]


def check(tmp_path: Path, name: str, text: str) -> list[Finding]:
    return check_sops_file(name, text, SopsContext(tmp_path))


def rules(findings: list[Finding]) -> list[str]:
    return [finding.rule_id for finding in findings]


def assert_no_canary(findings: list[Finding]) -> None:
    for finding in findings:
        assert CANARY not in str(finding.to_json())


@pytest.mark.parametrize(
    ("name", "text", "extra"),
    [
        ("secret.yaml", SECRET_YAML, K8S_REGEX),
        ("app.json", f'{{"db": {{"password": "{CANARY}", "port": 5432}}}}', []),
        ("app.env", f"PASSWORD={CANARY}\nUSER=app\n", []),
        ("app.ini", f"[db]\npassword = {CANARY}\n", []),
        ("blob.bin", f"raw bytes {CANARY}", []),
    ],
)
def test_files_written_by_sops_pass(
    tmp_path: Path, encrypt: Encrypt, name: str, text: str, extra: list[str]
) -> None:
    encrypted = encrypt(text, name, extra=extra)
    assert CANARY not in encrypted
    assert check(tmp_path, name, encrypted) == []


def _tamper_first_value(text: str, field: str, replacement: str) -> str:
    pattern = re.compile(rf"(ENC\[AES256_GCM,.*?{field}:)([^,\]]+)")
    return pattern.sub(lambda match: match.group(1) + replacement, text, count=1)


@pytest.mark.parametrize(
    ("field", "replacement", "reason"),
    [
        ("iv", "AAAAAAAAAAAAAAAA", "iv is 12 bytes"),
        ("tag", "AAAA", "tag is 3 bytes"),
        ("data", "not*base64", "data is not valid standard base64"),
        ("type", "blob", "unknown type"),
    ],
)
def test_malformed_ciphertext_is_invalid(
    tmp_path: Path, encrypt: Encrypt, field: str, replacement: str, reason: str
) -> None:
    encrypted = _tamper_first_value(
        encrypt(SECRET_YAML, "s.yaml", extra=K8S_REGEX), field, replacement
    )
    findings = check(tmp_path, "s.yaml", encrypted)
    assert rules(findings) == ["sops-invalid-metadata"]
    assert reason in findings[0].message
    assert findings[0].location is not None and findings[0].location.line == 7


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda t: re.sub(r"(?m)^\s+mac: .*\n", "", t), "mac is missing"),
        (lambda t: re.sub(r"lastmodified: .*", 'lastmodified: "yesterday"', t), "lastmodified"),
        (lambda t: re.sub(r"(?m)^\s+version: .*\n", "", t), "no version"),
        (
            lambda t: t.replace("encrypted_regex:", "unencrypted_suffix: _x\n    encrypted_regex:"),
            "more than one encryption selector",
        ),
        (lambda t: re.sub(r"encrypted_regex: .*", "encrypted_regex: '(['", t), "does not compile"),
        (
            lambda t: t.replace("-----BEGIN AGE ENCRYPTED FILE-----", "-----BEGIN NOTHING-----", 1),
            "enc does not start with",
        ),
        (lambda t: re.sub(r"recipient: age1\w+", "recipient: ''", t), "has no recipient"),
        (
            lambda t: t.replace("    age:", "    shamir_threshold: 3\n    age:"),
            "shamir_threshold 3",
        ),
    ],
)
def test_broken_metadata_is_invalid(
    tmp_path: Path, encrypt: Encrypt, edit: object, reason: str
) -> None:
    encrypted = encrypt(SECRET_YAML, "s.yaml", extra=K8S_REGEX)
    assert callable(edit)
    findings = check(tmp_path, "s.yaml", edit(encrypted))
    assert "sops-invalid-metadata" in rules(findings)
    assert any(reason in finding.message for finding in findings), findings
    assert_no_canary(findings)


def test_mac_with_wrong_length_is_invalid(tmp_path: Path, encrypt: Encrypt) -> None:
    encrypted = encrypt(SECRET_YAML, "s.yaml", extra=K8S_REGEX)
    value = re.search(r"password: (ENC\[.*\])", encrypted)
    assert value is not None
    broken = re.sub(r"mac: ENC\[.*\]", "mac: " + value.group(1), encrypted)
    findings = check(tmp_path, "s.yaml", broken)
    assert any("a SHA-512 hex MAC has 128" in finding.message for finding in findings)


def test_ciphertext_without_metadata_is_invalid(tmp_path: Path, encrypt: Encrypt) -> None:
    encrypted = encrypt(SECRET_YAML, "s.yaml", extra=K8S_REGEX)
    stripped = encrypted[: encrypted.index("sops:")]
    findings = check(tmp_path, "s.yaml", stripped)
    assert rules(findings) == ["sops-invalid-metadata"]
    assert "no sops metadata" in findings[0].message


def test_plaintext_added_after_encryption_yaml(tmp_path: Path, encrypt: Encrypt) -> None:
    encrypted = encrypt(SECRET_YAML, "s.yaml", extra=K8S_REGEX)
    edited = encrypted.replace("stringData:\n", f"stringData:\n    api_token: {CANARY}\n", 1)
    findings = check(tmp_path, "s.yaml", edited)
    assert rules(findings) == ["sops-unencrypted-value"]
    assert "stringData.api_token is plaintext" in findings[0].message
    assert findings[0].location is not None and findings[0].location.line == 7
    assert_no_canary(findings)


def test_plaintext_added_after_encryption_json(tmp_path: Path, encrypt: Encrypt) -> None:
    encrypted = encrypt('{"db": {"user": "app"}}', "a.json")
    edited = encrypted.replace('"db": {', f'"db": {{\n"password": "{CANARY}",', 1)
    findings = check(tmp_path, "a.json", edited)
    assert rules(findings) == ["sops-unencrypted-value"]
    assert "db.password" in findings[0].message
    assert_no_canary(findings)


def test_plaintext_added_after_encryption_dotenv(tmp_path: Path, encrypt: Encrypt) -> None:
    encrypted = encrypt("USER=app\n", "a.env")
    findings = check(tmp_path, "a.env", f"TOKEN={CANARY}\n" + encrypted)
    assert rules(findings) == ["sops-unencrypted-value"]
    assert findings[0].location is not None and findings[0].location.line == 1
    assert_no_canary(findings)


def test_unencrypted_suffix_is_respected(tmp_path: Path, encrypt: Encrypt) -> None:
    encrypted = encrypt("db:\n  host_unencrypted: db.local\n  password: x1\n", "a.yaml")
    assert "host_unencrypted: db.local" in encrypted
    assert check(tmp_path, "a.yaml", encrypted) == []
    edited = encrypted.replace("db:\n", "db:\n    port: 5432\n", 1)
    assert rules(check(tmp_path, "a.yaml", edited)) == ["sops-unencrypted-value"]


def test_ciphertext_moved_to_unselected_key_is_invalid(tmp_path: Path, encrypt: Encrypt) -> None:
    encrypted = encrypt(SECRET_YAML, "s.yaml", extra=K8S_REGEX)
    value = re.search(r"password: (ENC\[.*\])", encrypted)
    assert value is not None
    edited = encrypted.replace("type: Opaque", "type: " + value.group(1))
    findings = check(tmp_path, "s.yaml", edited)
    assert rules(findings) == ["sops-invalid-metadata"]
    assert "type is encrypted but" in findings[0].message


def test_kubernetes_object_fields_must_stay_readable(tmp_path: Path, encrypt: Encrypt) -> None:
    encrypted = encrypt(SECRET_YAML, "s.yaml")  # default selector encrypts everything
    messages = [finding.message for finding in check(tmp_path, "s.yaml", encrypted)]
    assert len(messages) == 3
    assert all("must stay readable" in message for message in messages)


def test_secret_data_must_be_encrypted_whatever_the_selector(
    tmp_path: Path, encrypt: Encrypt
) -> None:
    encrypted = encrypt(SECRET_YAML, "s.yaml", extra=["--encrypted-regex", "^password$"])
    findings = check(tmp_path, "s.yaml", encrypted)
    assert rules(findings) == ["sops-unencrypted-value"]
    assert "stringData.username" in findings[0].message
    assert "Kubernetes Secret data" in findings[0].message


def test_unreadable_yaml_is_a_finding_without_content(tmp_path: Path) -> None:
    text = f"a: 1\na: {CANARY}\nsops:\n  mac: x\n"
    findings = check(tmp_path, "dup.yaml", text)
    assert rules(findings) == ["sops-invalid-metadata"]
    assert findings[0].location is not None and findings[0].location.line == 2
    assert_no_canary(findings)


def test_plain_files_are_ignored(tmp_path: Path) -> None:
    assert check(tmp_path, "values.yaml", "replicas: 2\n") == []
