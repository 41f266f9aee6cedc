"""Secrets rules that fit how teams work: each false positive of issue 11 gone, and the true
positives (a committed private key, a plaintext Secret value, a real leak) kept."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from secrets_support import make_settings, write

from validator.model import Finding
from validator.secrets import scan_repository

JWT = "ey" + "JhbGciOiJIUzI1NiJ9.ey" + "JzdWIiOiJhcHAifQ.c2lnbmF0dXJlLXZhbHVl"
PEM = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----"


def ids(findings: list[Finding]) -> list[tuple[str, str]]:
    return sorted((f.rule_id, f.location.file if f.location else "") for f in findings)


def test_secrets_exclude_takes_gitignore_patterns(tmp_path: Path) -> None:
    write(tmp_path, "vendor/lib/test/fixture.yaml", f"token: {JWT}\n")
    write(tmp_path, "apps/web/config.yaml", f"token: {JWT}\n")
    write(tmp_path, "apps/web/keep.yaml", f"token: {JWT}\n")
    settings = make_settings(tmp_path)
    settings = dataclasses.replace(
        settings,
        secrets=dataclasses.replace(
            settings.secrets, exclude=("vendor/", "apps/**/*.yaml", "!apps/web/keep.yaml")
        ),
    )
    assert ids(scan_repository(settings)) == [("secret-leak", "apps/web/keep.yaml")]
