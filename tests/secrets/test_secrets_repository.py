"""Leaks and forbidden files in repository sources; allow markers, baselines, git ignores."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pyrage
import pytest
from secrets_support import CANARY, Encrypt, make_settings, write

from validator.model import Finding
from validator.secrets import baseline_document, scan_repository

# Token-shaped test values are assembled at run time so this file itself scans clean.
GITHUB = "gh" + "p_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"
GITLAB = "gl" + "pat-" + "Zx8Yw7Vu6Ts5Rq4Po3Nm"
SLACK = "xo" + "xb-" + "1234567890-abcdefGHIJKL"
AWS_ID = "AK" + "IA" + "Q3EGRZ5XKPLW7MNB"
VAULT = "hv" + "s." + "CAESIJlWd2e8kZ0vQx7LmNpRsTuVwXyZ"
JWT = "ey" + "JhbGciOiJIUzI1NiJ9.ey" + "JzdWIiOiJhcHAifQ.c2lnbmF0dXJlLXZhbHVl"
PEM = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----"


def ids(findings: list[Finding]) -> list[str]:
    return sorted(finding.rule_id for finding in findings)


@pytest.mark.parametrize(
    ("text", "detector"),
    [
        (f"token: {GITHUB}\n", "GitHub token"),
        (f"token: {GITLAB}\n", "GitLab token"),
        (f"slack: {SLACK}\n", "Slack token"),
        (f"aws: {AWS_ID}\n", "AWS access key id"),
        (f"vault: {VAULT}\n", "Vault token"),
        (f"auth: {JWT}\n", "JWT"),
        ('key: "' + PEM.replace("\n", "\\n") + '"\n', "private key"),
        ("url: postgres://app:" + "Sup3rS3cret" + "@db:5432/app\n", "password in a URL"),
        ('{"auths": {"r.io": {"auth": "' + "dXNlcjpwYXNz" + '"}}}\n', "registry credentials"),
        ('{"type": "service_account", "private_key_id": "' + "a1" * 20 + '"}\n', "GCP service"),
    ],
)
def test_leaks_in_sources_are_found_and_hashed(tmp_path: Path, text: str, detector: str) -> None:
    write(tmp_path, "config/app.yaml", "# leading line\n" + text)
    findings = scan_repository(make_settings(tmp_path))
    assert ids(findings) == ["secret-leak"]
    assert detector in findings[0].message
    assert "salted)" in findings[0].message
    assert findings[0].location is not None and findings[0].location.line == 2
    for secret in (GITHUB, GITLAB, SLACK, AWS_ID, VAULT, JWT, "Sup3rS3cret", "dXNlcjpwYXNz"):
        assert secret not in findings[0].message


@pytest.mark.parametrize(
    "text",
    [
        "url: postgres://app:${DB_PASSWORD}@db:5432/app\n",
        "url: postgres://app:$(DB_PASSWORD)@db/app\n",
        "url: postgres://app:{password}@db/app\n",
        "password: ref+vault://secret/app#/password\n",
        "aws: AKIAIOSFODNN7EXAMPLE\n",
        "image: ghcr.io/org/app:1.2.3\n",
        f"token: {GITHUB}  # gitops-validator: allow-secret reason=revoked demo token\n",
        f"# gitops-validator: allow-secret reason=fixture\ntoken: {GITHUB}\n",
    ],
)
def test_no_false_positives(tmp_path: Path, text: str) -> None:
    write(tmp_path, "config/app.yaml", text)
    assert scan_repository(make_settings(tmp_path)) == []


def test_marker_without_reason_allows_nothing(tmp_path: Path) -> None:
    write(tmp_path, "app.yaml", f"token: {GITHUB}  # gitops-validator: allow-secret\n")
    assert ids(scan_repository(make_settings(tmp_path))) == ["secret-leak"]


def test_sops_files_are_not_leaks(tmp_path: Path, encrypt: Encrypt) -> None:
    text = f"token: {GITHUB}\nurl: postgres://a:{CANARY}@db/x\n"
    write(tmp_path, "app.yaml", encrypt(text, "app.yaml"))
    write(tmp_path, "app.env", encrypt(f"TOKEN={GITHUB}\n", "app.env"))
    write(tmp_path, "app.json", encrypt(json.dumps({"jwt": JWT}), "app.json"))
    assert scan_repository(make_settings(tmp_path)) == []


def test_plaintext_comment_in_sops_file_is_scanned(tmp_path: Path, encrypt: Encrypt) -> None:
    write(tmp_path, "app.yaml", f"# {GITHUB}\n" + encrypt("a: b\n", "app.yaml"))
    assert ids(scan_repository(make_settings(tmp_path))) == ["secret-leak"]


def test_dotenv_secret_names_with_literals(tmp_path: Path) -> None:
    write(tmp_path, "app.env", "API_KEY=Zq8xL2vN9wR4tY7u\nLOG_LEVEL=debug\nDB_PASSWORD=${PW}\n")
    findings = scan_repository(make_settings(tmp_path))
    assert ids(findings) == ["secret-leak"]
    assert "API_KEY holds a literal secret" in findings[0].message


def test_baseline_accepts_known_findings(tmp_path: Path) -> None:
    write(tmp_path, "app.yaml", f"token: {GITHUB}\n")
    first = scan_repository(make_settings(tmp_path))
    assert len(first) == 1
    write(tmp_path, ".gitops-validator-secrets-baseline.json", json.dumps(baseline_document(first)))
    assert scan_repository(make_settings(tmp_path)) == []
    write(tmp_path, "other.yaml", f"token: {GITHUB}\n")  # same value, another file
    assert ids(scan_repository(make_settings(tmp_path))) == ["secret-leak"]
    assert GITHUB not in (tmp_path / ".gitops-validator-secrets-baseline.json").read_text()


def test_salt_changes_the_hash(tmp_path: Path) -> None:
    write(tmp_path, "app.yaml", f"token: {GITHUB}\n")
    default = scan_repository(make_settings(tmp_path))[0].message
    salted = scan_repository(make_settings(tmp_path), hash_salt="org-salt")[0].message
    assert default != salted


def _age_key_file(header: str) -> str:
    identity = pyrage.x25519.Identity.generate()
    return f"{header}# public key: {identity.to_public()}\n{identity}\n"


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("secrets/db.yaml.dec", "password: x\n"),
        ("secrets/db.decrypted", "password: x\n"),
        ("ops/.vault-token", "token\n"),
        ("keys/keys.txt", None),
        ("keys/me.agekey", "nothing\n"),
        ("tests/keys/prod.txt", None),  # under tests/ but neither name nor header says test
        ("keys/ops.asc", "-----BEGIN PGP " + "PRIVATE KEY BLOCK-----\nxx\n"),
        ("ops/kubeconfig", "apiVersion: v1\n"),
        ("ops/admin.yaml", "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\n"),
    ],
)
def test_forbidden_files(tmp_path: Path, path: str, text: str | None) -> None:
    write(tmp_path, path, text if text is not None else _age_key_file("# created: today\n"))
    findings = scan_repository(make_settings(tmp_path))
    assert ids(findings) == ["secret-file-forbidden"]
    assert findings[0].location is not None and findings[0].location.file == path


def test_marked_test_key_is_allowed(tmp_path: Path) -> None:
    header = "# TEST KEY - demo only, never use for real secrets\n"
    write(tmp_path, "tests/fixtures/age-test-key.txt", _age_key_file(header))
    assert scan_repository(make_settings(tmp_path)) == []


def test_git_ignored_and_venv_files_are_skipped(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write(tmp_path, ".gitignore", "local/\n")
    write(tmp_path, "local/creds.yaml", f"token: {GITHUB}\n")
    write(tmp_path, ".venv/lib/x.yaml", f"token: {GITHUB}\n")
    write(tmp_path, "tracked.yaml", f"token: {GITHUB}\n")
    findings = scan_repository(make_settings(tmp_path))
    assert [f.location.file for f in findings if f.location] == ["tracked.yaml"]


def test_explicit_file_list_and_odd_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", f"token: {GITHUB}\n")
    (tmp_path / "bin.dat").write_bytes(b"\0\1" + GITHUB.encode())
    (tmp_path / "latin.txt").write_bytes(b"caf\xe9 " + GITHUB.encode())
    (tmp_path / "link.yaml").symlink_to("/etc/hostname")
    files = ["bin.dat", "latin.txt", "link.yaml", "gone.yaml"]
    assert scan_repository(make_settings(tmp_path), files) == []
    assert len(scan_repository(make_settings(tmp_path), ["a.yaml"])) == 1
