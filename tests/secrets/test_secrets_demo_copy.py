"""The demo's secrets validate cleanly; three planted defects give exactly their findings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from secrets_support import CANARY, AgeKey, Encrypt, make_settings, write

from validator.model import RenderedEnvironment, Resource, ResourceRef, Settings
from validator.secrets import scan_environment, scan_repository

DEMO_SECRETS = Path(__file__).resolve().parents[2] / "secrets"
DEMO_RECIPIENT = "age10g3jj9fcedu5rm4dqkwhh84pa4pfufdsanlqwxnewvqd58y2gcrslwan3w"
K8S = ["--encrypted-regex", "^(data|stringData)$"]

pytestmark = pytest.mark.skipif(not DEMO_SECRETS.is_dir(), reason="demo secrets/ not present")


def demo_copy(tmp_path: Path) -> Settings:
    shutil.copytree(DEMO_SECRETS, tmp_path / "secrets")
    allowed = {"age": (DEMO_RECIPIENT,)}
    return make_settings(tmp_path, sops_config="secrets/.sops.yaml", allowed_key_providers=allowed)


def config_map(value: str) -> Resource:
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {"k": value},
    }
    return Resource(ResourceRef.of(body), body, "prod")


def test_demo_secrets_are_clean(tmp_path: Path) -> None:
    settings = demo_copy(tmp_path)
    assert scan_repository(settings) == []


def test_planted_defects_yield_exactly_those_findings(
    tmp_path: Path, encrypt: Encrypt, dev_key: AgeKey
) -> None:
    settings = demo_copy(tmp_path)
    dev_file = tmp_path / "secrets/dev/storefront-secrets.enc.yaml"
    dev_file.write_text(
        dev_file.read_text().replace("stringData:\n", f"stringData:\n    EXTRA: {CANARY}\n", 1)
    )
    prod_secret = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: storefront-secrets\n"
        f"stringData:\n  DATABASE_PASSWORD: {CANARY}\n"
    )
    encrypted = encrypt(prod_secret, "x.enc.yaml", [dev_key.recipient], K8S)
    write(tmp_path, "secrets/prod/storefront-secrets.enc.yaml", encrypted)
    findings = scan_repository(settings)
    rendered = RenderedEnvironment("prod", "1.32", (config_map("ref+exec://sh#/x"),))
    findings += scan_environment(rendered, settings)
    assert sorted(finding.rule_id for finding in findings) == [
        "secret-ref-scheme-denied",
        "sops-key-provider-denied",  # the stray key is not in allowedKeyProviders either
        "sops-recipients-mismatch",  # encrypted to a key the rule does not list
        "sops-recipients-mismatch",  # not encrypted to the key the rule lists
        "sops-unencrypted-value",
    ]
    for finding in findings:
        assert CANARY not in str(finding.to_json())
