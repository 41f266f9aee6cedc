"""Schema findings through the real CLI: each one at the source file and line a person edits."""

from __future__ import annotations

import json
from pathlib import Path

from support import RunCli

BASE_DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    team: payments
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
"""

CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              x-kubernetes-validations:
                - rule: self.minReplicas <= self.maxReplicas
                  message: minReplicas must not exceed maxReplicas
              properties:
                minReplicas: {type: integer}
                maxReplicas: {type: integer}
"""

WIDGET = """apiVersion: example.com/v1
kind: Widget
metadata:
  name: gizmo
spec:
  minReplicas: 5
  maxReplicas: 2
"""


def _repo(make_repo, prod_patch: str, extra: dict[str, str] | None = None) -> Path:
    files = {
        "overlays/base/kustomization.yaml": (
            "resources:\n  - deployment.yaml\n  - crd.yaml\n  - widget.yaml\n"
        ),
        "overlays/base/deployment.yaml": BASE_DEPLOYMENT,
        "overlays/base/crd.yaml": CRD,
        "overlays/base/widget.yaml": WIDGET,
        "overlays/prod/kustomization.yaml": (
            "namespace: shop\nresources:\n  - ../base\npatches:\n  - path: patch.yaml\n"
        ),
        "overlays/prod/patch.yaml": prod_patch,
        "gitops-validator.yaml": (
            "kubernetesVersion: '1.33'\npolicies: {builtin: none}\n"
            "environments:\n  prod: {path: overlays/prod}\n"
        ),
        **(extra or {}),
    }
    return make_repo(files)


def _located(run_cli: RunCli, repo: Path) -> dict[tuple[str, str], tuple[str, str, int]]:
    result = run_cli("validate", "--format", "json", cwd=repo)
    assert result.code == 1, result.stdout + result.stderr
    return {
        (f["resource"]["kind"], f["path"]): (
            f["message"],
            f["location"]["file"],
            f["location"]["line"],
        )
        for f in json.loads(result.stdout)["findings"]
        if f["category"] == "schema"
    }


PATCH = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: two
  template:
    spec:
      containers:
        - name: web
          imagePullPolicy: Sometimes
          imagex: nginx:1.28
"""


def test_schema_findings_point_at_the_patch_or_the_base(make_repo, run_cli: RunCli) -> None:
    located = _located(run_cli, _repo(make_repo, PATCH))
    message, file, line = located[("Deployment", "/spec/replicas")]
    assert "replicas" in message and "integer" in message
    assert (file, line) == ("overlays/prod/patch.yaml", 6)
    message, file, line = located[("Deployment", "/spec/template/spec/containers/0/imagex")]
    assert "unknown field 'imagex'" in message
    assert (file, line) == ("overlays/prod/patch.yaml", 12)
    message, file, line = located[("Widget", "/spec")]
    assert message.endswith("minReplicas must not exceed maxReplicas")
    assert (file, line) == ("overlays/base/widget.yaml", 5)


def test_missing_required_field_and_long_label(make_repo, run_cli: RunCli) -> None:
    patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n"
    patch += f"    team: {'x' * 70}\n"
    base = BASE_DEPLOYMENT.replace("  selector:\n    matchLabels:\n      app: web\n", "")
    repo = _repo(make_repo, patch, {"overlays/base/deployment.yaml": base})
    located = _located(run_cli, repo)
    # A missing field has no line of its own: the finding points at the object that lacks it.
    message, file, line = located[("Deployment", "/spec")]
    assert message == "spec: missing required field 'selector'"
    assert (file, line) == ("overlays/base/deployment.yaml", 7)
    message, file, line = located[("Deployment", "/metadata/labels/team")]
    assert "63" in message and (file, line) == ("overlays/prod/patch.yaml", 6)


def test_removed_api_version(make_repo, run_cli: RunCli) -> None:
    extra = {
        "overlays/base/kustomization.yaml": (
            "resources:\n  - deployment.yaml\n  - crd.yaml\n  - widget.yaml\n  - old.yaml\n"
        ),
        "overlays/base/old.yaml": (
            "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n"
            "spec:\n  minAvailable: 1\n  selector:\n    matchLabels: {app: web}\n"
        ),
    }
    patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
    located = _located(run_cli, _repo(make_repo, patch, extra))
    removed = [m for (kind, _), (m, _, _) in located.items() if kind == "PodDisruptionBudget"]
    assert any("policy/v1beta1" in m and "1.25" in m for m in removed), removed
