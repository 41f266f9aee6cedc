"""Schemas for kinds whose CRDs are not committed, from `schema.locations` served on loopback:
fetched once into the on-disk cache, and `--offline` validates from that cache alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from schema_server import schema_server
from support import RunCli

from validator.model import ConfigError
from validator.schema.location_template import parse_location

CATALOG_LAYOUT = "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json"

FLUX_OBJECTS = """apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: apps
spec:
  interval: 1m
  url: https://git.example.com/apps.git
  ref: {branch: main}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef: {kind: GitRepository, name: apps}
  targetNamespace: shop
"""

CERTIFICATE = """apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: web
spec:
  secretName: web-tls
  dnsNames: [web.example.com]
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
  renewBefor: 720h
"""

EXTERNAL_SECRET = """apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: db
spec:
  refreshInterval: 1h
  secretStoreRef: {name: vault, kind: ClusterSecretStore}
  target: {name: db}
  data:
    - secretKey: password
      remoteRef: {key: db/password}
"""

UNKNOWN = """apiVersion: example.org/v1
kind: Gadget
metadata:
  name: gizmo
spec: {}
"""


def _flux_repo(make_repo, url: str) -> Path:
    return make_repo(
        {
            "clusters/prod/kustomization.yaml": (
                "namespace: flux-system\nresources:\n  - flux.yaml\n  - certificate.yaml\n"
                "  - external-secret.yaml\n  - gadget.yaml\n"
            ),
            "clusters/prod/flux.yaml": FLUX_OBJECTS,
            "clusters/prod/certificate.yaml": CERTIFICATE,
            "clusters/prod/external-secret.yaml": EXTERNAL_SECRET,
            "clusters/prod/gadget.yaml": UNKNOWN,
            "gitops-validator.yaml": (
                "policies: {builtin: none}\n"
                "environments:\n  prod: {path: clusters/prod}\n"
                f"schema:\n  locations:\n    - '{url}/{CATALOG_LAYOUT}'\n"
            ),
        }
    )


def _schema_findings(run_cli: RunCli, repo: Path, *flags: str) -> list[tuple[str, str, str]]:
    result = run_cli(*flags, "validate", "--format", "json", cwd=repo)
    assert result.code in (0, 1), result.stderr
    return sorted(
        (f["ruleId"], f["resource"]["kind"], f["message"])
        for f in json.loads(result.stdout)["findings"]
        if f["category"] == "schema"
    )


def test_flux_cert_manager_and_external_secrets_validated_from_a_served_catalog(
    make_repo, run_cli: RunCli, cache_dir: Path
) -> None:
    with schema_server() as server:
        repo = _flux_repo(make_repo, server.url)
        online = _schema_findings(run_cli, repo)
        fetched = list(server.requests)
    # Every kind validated: the typo in the Certificate is caught, the valid objects pass.
    assert [(rule, kind) for rule, kind, _ in online] == [
        ("schema-invalid", "Certificate"),
        ("schema-unknown-kind", "Gadget"),
    ], online
    assert "renewBefor" in online[0][2]
    # The unknown kind says exactly where the tool looked.
    gadget = online[1][2]
    assert f"{server.url}/example.org/gadget_v1.json (HTTP 404)" in gadget
    # Each schema was fetched once, into the cache.
    assert sorted(fetched) == sorted(set(fetched)) and len(fetched) == 5
    assert len(list((cache_dir / "schemas").glob("*.meta.json"))) == 5

    # The server is gone: --offline gives the same findings from the cache alone.
    assert _schema_findings(run_cli, repo, "--offline") == online
    environment = {"GITOPS_VALIDATOR_OFFLINE": "true"}
    result = run_cli("validate", "--format", "json", cwd=repo, env=environment)
    assert result.code == 1 and "renewBefor" in result.stdout


def test_offline_without_a_cache_says_so(make_repo, run_cli: RunCli) -> None:
    repo = _flux_repo(make_repo, "http://127.0.0.1:9")
    findings = _schema_findings(run_cli, repo, "--offline")
    unknown = {kind: message for rule, kind, message in findings if rule == "schema-unknown-kind"}
    assert set(unknown) == {
        "GitRepository",
        "Kustomization",
        "Certificate",
        "ExternalSecret",
        "Gadget",
    }
    expected = "http://127.0.0.1:9/cert-manager.io/certificate_v1.json (not in the offline cache)"
    assert expected in unknown["Certificate"]


def test_a_damaged_cache_entry_is_never_trusted(
    make_repo, run_cli: RunCli, cache_dir: Path
) -> None:
    with schema_server() as server:
        repo = _flux_repo(make_repo, server.url)
        online = _schema_findings(run_cli, repo)
        for body in (cache_dir / "schemas").glob("*.json"):
            if not body.name.endswith(".meta.json"):
                body.write_text('{"type": "object"}')  # a schema that accepts anything
        offline = _schema_findings(run_cli, repo, "--offline")
        assert not any("renewBefor" in message for _, _, message in offline)
        assert any("fails its digest check" in message for _, _, message in offline)
        # Online, the damaged entries are fetched again and the typo is caught again.
        assert _schema_findings(run_cli, repo) == online


def test_local_catalog_directory_in_the_repository(make_repo, run_cli: RunCli) -> None:
    from schema_server import CATALOG

    files = {f"schemas/{path}": json.dumps(schema) for path, schema in CATALOG.items()}
    repo = _flux_repo(make_repo, "schemas")
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    findings = _schema_findings(run_cli, repo)
    assert [(rule, kind) for rule, kind, _ in findings] == [
        ("schema-invalid", "Certificate"),
        ("schema-unknown-kind", "Gadget"),
    ]
    assert "schemas/example.org/gadget_v1.json (no such file)" in findings[1][2]


def test_template_fields_follow_kubeconform() -> None:
    location = parse_location(
        "https://h/{{ .NormalizedKubernetesVersion }}-standalone{{.StrictSuffix}}/"
        "{{.ResourceKind}}{{.KindSuffix}}.json"
    )
    assert location.expand("cert-manager.io/v1", "Certificate", "1.33") == (
        "https://h/v1.33.0-standalone-strict/certificate-cert-manager-v1.json"
    )
    assert location.expand("v1", "ConfigMap", "1.33") == (
        "https://h/v1.33.0-standalone-strict/configmap-v1.json"
    )
    catalog = parse_location("https://h/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json")
    assert catalog.expand("monitoring.coreos.com/v1", "ServiceMonitor", "1.30") == (
        "https://h/monitoring.coreos.com/servicemonitor_v1.json"
    )
    # A base without a file name gets kubernetes-json-schema's layout, as in kubeconform.
    assert parse_location("https://h/schemas").expand("apps/v1", "Deployment", "1.33") == (
        "https://h/schemas/v1.33.0-standalone-strict/deployment-apps-v1.json"
    )


@pytest.mark.parametrize(
    "bad", ["https://h/{{.Kind}}.json", "https://h/{{ if .Group }}x{{ end }}.json", "s3://b/x.json"]
)
def test_a_location_the_tool_cannot_use_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"schema\.locations"):
        parse_location(bad)
