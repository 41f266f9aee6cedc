"""Namespace warnings only when nothing supplies a namespace: a Flux Kustomization's
targetNamespace (applied by the Flux renderer), a parent kustomization's `namespace:`, or the
environment's configured `namespace`; a unit that supplies none still gets the warning."""

from __future__ import annotations

import json
from pathlib import Path

from support import RunCli

SYNC = """apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: flux-system, namespace: flux-system}
spec: {interval: 1m, url: 'ssh://git@example.com/fleet', ref: {branch: main}}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: flux-system, namespace: flux-system}
spec:
  interval: 10m
  path: ./clusters/prod
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
"""

UNITS = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: apps, namespace: flux-system}
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
  targetNamespace: shop
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: loose, namespace: flux-system}
spec:
  interval: 10m
  path: ./loose
  prune: true
  sourceRef: {kind: GitRepository, name: flux-system}
"""


def _config_map(name: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata: {{a: b}}\n"


def _namespace_warnings(run_cli: RunCli, repo: Path) -> list[str]:
    result = run_cli("validate", "--format", "json", cwd=repo)
    assert result.code in (0, 1), result.stderr
    return sorted(
        f"{f['resource']['kind']}/{f['resource']['name']}"
        for f in json.loads(result.stdout)["findings"]
        if "has no metadata.namespace" in f["message"]
    )


def test_flux_target_namespace_supplies_one_and_a_bare_unit_does_not(
    make_repo, run_cli: RunCli
) -> None:
    repo = make_repo(
        {
            "clusters/prod/flux-system/gotk-sync.yaml": SYNC,
            "clusters/prod/flux-system/kustomization.yaml": "resources: [gotk-sync.yaml]\n",
            "clusters/prod/apps.yaml": UNITS,
            "apps/base/config.yaml": _config_map("web"),
            "apps/base/kustomization.yaml": "resources: [config.yaml]\n",
            "apps/kustomization.yaml": "resources: [base]\n",
            "loose/config.yaml": _config_map("stray"),
        }
    )
    assert _namespace_warnings(run_cli, repo) == ["ConfigMap/stray"]


def test_parent_kustomization_and_configured_namespace(make_repo, run_cli: RunCli) -> None:
    repo = make_repo(
        {
            "base/config.yaml": _config_map("web"),
            "base/kustomization.yaml": "resources: [config.yaml]\n",
            "overlays/prod/kustomization.yaml": "namespace: shop\nresources: [../../base]\n",
            "overlays/dev/kustomization.yaml": "resources: [../../base]\n",
            "overlays/test/kustomization.yaml": "resources: [../../base]\n",
            "gitops-validator.yaml": (
                "policies: {builtin: none}\nenvironments:\n  prod: {path: overlays/prod}\n"
                "  dev: {path: overlays/dev}\n  test: {path: overlays/test, namespace: qa}\n"
            ),
        }
    )
    result = run_cli("validate", "--format", "json", cwd=repo)
    warned = [
        f["environment"]
        for f in json.loads(result.stdout)["findings"]
        if "has no metadata.namespace" in f["message"]
    ]
    assert warned == ["dev"]
