"""`secrets.baseline` and the hash salt (GITOPS_VALIDATOR_SECRETS_HASH_SALT) come from Settings."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from secrets_support import make_resource, make_settings, write

from validator.model import RenderedEnvironment, Settings
from validator.secrets import baseline_document, salted_hash, scan_environment, scan_repository

# Assembled at run time so this file scans clean.
GITHUB = "gh" + "p_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"


def with_secrets(settings: Settings, **changes: str | None) -> Settings:
    return dataclasses.replace(settings, secrets=dataclasses.replace(settings.secrets, **changes))


def environment() -> RenderedEnvironment:
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {"note": f"token {GITHUB}"},
    }
    return RenderedEnvironment("prod", "1.33", (make_resource(body),))


def test_repository_scan_uses_the_configured_salt_and_the_keyword_wins(tmp_path: Path) -> None:
    write(tmp_path, "app.yaml", f"token: {GITHUB}\n")
    settings = with_secrets(make_settings(tmp_path), hash_salt="org-salt")
    [configured] = scan_repository(settings)
    assert salted_hash(GITHUB, "org-salt") in configured.message
    [explicit] = scan_repository(settings, hash_salt="other-salt")
    assert salted_hash(GITHUB, "other-salt") in explicit.message


def test_environment_scan_uses_the_configured_salt(tmp_path: Path) -> None:
    settings = with_secrets(make_settings(tmp_path), hash_salt="org-salt")
    [finding] = scan_environment(environment(), settings)
    assert salted_hash(GITHUB, "org-salt") in finding.message
    [default] = scan_environment(environment(), make_settings(tmp_path))
    assert salted_hash(GITHUB) in default.message


def test_configured_baseline_is_used_by_both_scans(tmp_path: Path) -> None:
    write(tmp_path, "app.yaml", f"token: {GITHUB}\n")
    plain = make_settings(tmp_path)
    found = scan_repository(plain) + scan_environment(environment(), plain)
    assert len(found) == 2
    write(tmp_path, "security/accepted.json", json.dumps(baseline_document(found)))
    configured = with_secrets(plain, baseline="security/accepted.json")
    assert scan_repository(configured) == []
    assert scan_environment(environment(), configured) == []
    # the keyword still wins over the configuration
    assert len(scan_repository(configured, baseline="missing.json")) == 1
    assert len(scan_environment(environment(), configured, baseline="missing.json")) == 1
