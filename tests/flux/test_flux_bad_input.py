"""Malformed Flux objects and hostile layouts: findings, never a traceback."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from flux_support import gotk_sync
from support import RunCli

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]

ODD_UNITS = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: odd, namespace: flux-system}
spec:
  path: ./odd
  sourceRef: {kind: GitRepository, name: flux-system}
  components: ../not-a-list
  patches: {not: a-list}
  images: 7
  dependsOn: everything
  postBuild:
    substitute: [not, a, map]
    substituteFrom: {kind: ConfigMap}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: numeric, namespace: flux-system}
spec:
  path: 42
  sourceRef: {kind: GitRepository, name: flux-system}
"""

ODD_RELEASES = """apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: nochart, namespace: apps}
spec: {values: [1, 2]}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: badvalues, namespace: apps}
spec:
  chart: {spec: {chart: ./missing-chart, sourceRef: {kind: GitRepository, name: flux-system,
                                                     namespace: flux-system}}}
  valuesFrom: not-a-list
  postRenderers: {kustomize: 1}
"""


def test_malformed_flux_objects_are_findings(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo(
        {
            "clusters/x/flux-system/gotk-sync.yaml": gotk_sync("x"),
            "clusters/x/units.yaml": ODD_UNITS,
            "odd/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n",
            "odd/releases.yaml": ODD_RELEASES,
        }
    )
    result = run_cli("validate", "--format", "json", cwd=repo)
    assert result.code in (0, 1), result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    findings = json.loads(result.stdout)["findings"]
    failed = {f["unit"]: f["message"] for f in findings if f["ruleId"] == "render-failed"}
    assert "does not exist" in failed["Kustomization/flux-system/numeric"]
    assert "neither" in failed["HelmRelease/apps/nochart"]
    assert "missing-chart" in failed["HelmRelease/apps/badvalues"]
    assert "Kustomization/flux-system/odd" not in failed  # odd fields are ignored, not fatal


def test_a_symlink_out_of_the_repository_is_never_built(
    make_repo: MakeRepo, run_cli: RunCli, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stolen}\n")
    repo = make_repo(
        {
            "clusters/x/flux-system/gotk-sync.yaml": gotk_sync("x"),
            "clusters/x/units.yaml": ESCAPE,
            "escape/ok.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n",
        }
    )
    os.symlink(outside, repo / "escape" / "link.yaml")
    result = run_cli("render", cwd=repo)
    assert result.code == 1
    assert "outside the repository" in result.stderr
    assert "stolen" not in result.stdout


ESCAPE = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: escape, namespace: flux-system}
spec:
  path: ./escape
  sourceRef: {kind: GitRepository, name: flux-system}
"""
