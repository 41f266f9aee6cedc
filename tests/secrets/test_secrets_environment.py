"""Rendered objects: plaintext Secrets, leaks, references and ExternalSecrets."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from secrets_support import CANARY, Encrypt, make_settings, write

from validator.model import (
    Finding,
    RenderedEnvironment,
    Resource,
    ResourceRef,
    SecretsSettings,
    Settings,
    VaultSettings,
)
from validator.secrets import check_reference, scan_environment

PEM = "-----BEGIN " + f"EC PRIVATE KEY-----\n{CANARY}\n-----END EC PRIVATE KEY-----\n"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def secret(data: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}}
    if data is not None:
        body["data"] = data
    body.update(extra)
    return body


def scan(settings: Settings, *bodies: dict[str, Any]) -> list[Finding]:
    resources = tuple(Resource(ResourceRef.of(body), body, "dev") for body in bodies)
    return scan_environment(RenderedEnvironment("dev", "1.33", resources), settings)


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    assert CANARY not in json.dumps([finding.to_json() for finding in findings])
    return findings[0]


def test_plaintext_secret_data_is_decoded_and_reported(tmp_path: Path) -> None:
    finding = only(scan(make_settings(tmp_path), secret({"password": b64(CANARY)})))
    assert finding.rule_id == "secret-plaintext"
    assert finding.path == "/data/password"
    assert finding.environment == "dev" and finding.resource is not None
    assert "salted)" in finding.message


def test_plaintext_private_key_is_named(tmp_path: Path) -> None:
    body = secret({"tls.key": b64(PEM)}, type="kubernetes.io/tls")
    assert "(private key)" in only(scan(make_settings(tmp_path), body)).message


def test_plaintext_string_data_and_docker_config(tmp_path: Path) -> None:
    docker = json.dumps({"auths": {"r.io": {"auth": b64("bot:" + CANARY)}}})
    bodies = (
        secret(stringData={"token": CANARY}),
        secret({".dockerconfigjson": b64(docker)}, type="kubernetes.io/dockerconfigjson"),
    )
    findings = scan(make_settings(tmp_path), *bodies)
    assert [finding.rule_id for finding in findings] == ["secret-plaintext"] * 2
    assert "registry credentials" in findings[1].message


@pytest.mark.parametrize(
    "value",
    [
        "",
        "ref+vault://secret/app#/password",
        "<path:secret/data/app#password>",
        "${DB_PASSWORD}",
    ],
)
def test_protected_secret_values_pass(tmp_path: Path, value: str) -> None:
    settings = make_settings(tmp_path)
    assert scan(settings, secret(stringData={"password": value})) == []
    assert scan(settings, secret({"password": b64(value)})) == []


def test_sops_encrypted_secret_passes(tmp_path: Path, encrypt: Encrypt) -> None:
    import yaml_rs

    text = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  pw: {CANARY}\n"
    encrypted = encrypt(text, "s.yaml", extra=["--encrypted-regex", "^(data|stringData)$"])
    body = yaml_rs.loads(encrypted, parse_datetime=False)
    assert isinstance(body, dict)
    assert scan(make_settings(tmp_path), body) == []
    sops_env = encrypt(f"PW={CANARY}\n", "x.env")  # Flux: a sops document inside data
    assert scan(make_settings(tmp_path), secret({"app.env": b64(sops_env)})) == []


def test_allow_annotation_and_controller_types_pass(tmp_path: Path) -> None:
    annotated = secret({"pw": b64(CANARY)})
    annotated["metadata"]["annotations"] = {"gitops-validator.io/allow-secret": "public demo"}
    token = secret({"token": b64(CANARY)}, type="kubernetes.io/service-account-token")
    assert scan(make_settings(tmp_path), annotated, token) == []


def deployment(env: list[dict[str, Any]]) -> dict[str, Any]:
    container = {"name": "app", "image": "app:1", "env": env}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"template": {"spec": {"containers": [container]}}},
    }


def test_env_literal_with_secret_name_is_a_leak(tmp_path: Path) -> None:
    body = deployment(
        [
            {"name": "API_TOKEN", "value": "Zq8xL2vN9wR4tY7u" + CANARY},
            {"name": "LOG_LEVEL", "value": "debug-verbose-mode"},
            {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}},
            {"name": "SECRET_NAME", "value": "db-credentials-x9"},
        ]
    )
    finding = only(scan(make_settings(tmp_path), body))
    assert finding.rule_id == "secret-leak"
    assert finding.path == "/spec/template/spec/containers/0/env/0/value"
    assert "env var API_TOKEN" in finding.message


def test_configmap_leaks(tmp_path: Path) -> None:
    token = "gh" + "p_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z5A"
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg"},
        "data": {
            "client_secret": "Zq8xL2vN9wR4tY7u",
            "notes": f"ci uses {token}",
            "dsn_template": "postgres://app:${PW}@db/app",
            "mode": "production",
        },
    }
    findings = scan(make_settings(tmp_path), config)
    assert sorted(finding.path or "" for finding in findings) == [
        "/data/client_secret",
        "/data/notes",
    ]
    assert all(token not in finding.message for finding in findings)


def test_references_scheme_policy(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, schemes=("vault", "sops", "file"))
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg"},
        "data": {
            "a": "ref+exec://bin/sh?args=x#/y",
            "b": "ref+file://../../etc/passwd",
            "c": "ref+file://config/app.txt",
            "d": "ref+vault://secret/app?secret_id=" + CANARY,
        },
    }
    findings = scan(settings, config)
    by_path = {finding.path: finding.rule_id for finding in findings}
    assert by_path == {
        "/data/a": "secret-ref-scheme-denied",
        "/data/b": "secret-ref-scheme-denied",
        "/data/d": "secret-ref-invalid",  # no #/key
    }
    assert CANARY not in json.dumps([finding.to_json() for finding in findings])


def test_sops_reference_must_exist(tmp_path: Path) -> None:
    write(tmp_path, "secrets/db.yaml", "x: 1\n")
    ok = secret(stringData={"pw": "ref+sops://secrets/db.yaml#/x"})
    missing = secret(stringData={"pw": "ref+sops://secrets/nope.yaml#/x"})
    assert scan(make_settings(tmp_path), ok) == []
    finding = only(scan(make_settings(tmp_path), missing))
    assert finding.rule_id == "secret-ref-invalid"


def _kv2_settings(root: Path) -> Settings:
    base = make_settings(root)
    vault = VaultSettings(address="https://vault.example.com", kv_mount="secret", kv_version=2)
    secrets = SecretsSettings(allowed_reference_schemes=("vault",), vault=vault)
    return Settings(
        repo_root=base.repo_root,
        config_file=None,
        kubernetes_version="1.33",
        environments=base.environments,
        secrets=secrets,
    )


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("<path:secret/data/app#password>", None),
        ("<path:secret/data/app#password#3 | base64encode>", None),
        ("<path:secret/app#password>", "secret-ref-invalid"),  # AVP needs data/ for KV v2
        ("<path:secret/data/app>", "secret-ref-invalid"),
        ("<path:secret/data/app#password#latest>", "secret-ref-invalid"),
        # A bare placeholder is argocd-vault-plugin's only where AVP is in use (issue 11:
        # `<fill-me-in>` is for people); test_secrets_workflows covers the AVP environment.
        ("<password>", None),
        ("ref+sops://secrets/db.yaml#/x", "secret-ref-scheme-denied"),
    ],
)
def test_argocd_vault_plugin_references(tmp_path: Path, value: str, rule: str | None) -> None:
    findings = scan(_kv2_settings(tmp_path), secret(stringData={"password": value}))
    assert [finding.rule_id for finding in findings] == ([rule] if rule else [])


def test_kv_v2_data_segment_is_normalised(tmp_path: Path) -> None:
    vault = VaultSettings(address="https://v", kv_mount="secret", kv_version=2)
    for expression in (
        "ref+vault://secret/data/app/db?version=3#/pw",
        "ref+vault://secret/app/db?version=3#/pw",
    ):
        reference, problems = check_reference(expression, ("vault",), vault)
        assert problems == [] and reference is not None
        assert (reference.mount, reference.path, reference.key, reference.version) == (
            "secret",
            "app/db",
            "pw",
            3,
        )
    avp, _ = check_reference("<path:secret/data/app/db#pw>", ("vault",), vault)
    assert avp is not None and avp.path == "app/db"


def external_secret(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": "db"},
        "spec": spec,
    }


def test_external_secret_remote_refs(tmp_path: Path) -> None:
    good = external_secret(
        {
            "secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"},
            "data": [{"secretKey": "pw", "remoteRef": {"key": "app/db", "property": "pw"}}],
        }
    )
    bad = external_secret(
        {"data": [{"secretKey": "pw", "remoteRef": {"key": ""}}], "dataFrom": [{"extract": {}}]}
    )
    assert scan(make_settings(tmp_path), good) == []
    paths = sorted(finding.path or "" for finding in scan(make_settings(tmp_path), bad))
    assert paths == ["/spec/data/0/remoteRef", "/spec/dataFrom/0/extract", "/spec/secretStoreRef"]
