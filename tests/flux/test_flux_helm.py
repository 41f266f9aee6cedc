"""HelmReleases from this repository's charts, through the real Helm SDK and kustomize."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import yaml
from flux_support import gotk_sync
from support import RunCli

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]

UNITS = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: vars
  namespace: flux-system
spec:
  path: ./platform/apps-ks
  sourceRef: {kind: GitRepository, name: flux-system}
  postBuild:
    substitute: {cluster_name: dev}
"""

APPS_KS = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  path: ./apps/${cluster_name}
  sourceRef: {kind: GitRepository, name: flux-system}
"""

RELEASE = """apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: web
spec:
  targetNamespace: web-prod
  chart:
    spec:
      chart: ./charts/web
      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
  valuesFrom:
    - kind: ConfigMap
      name: web-values
    - kind: ConfigMap
      name: web-values
      valuesKey: image_tag
      targetPath: image.tag
    - kind: Secret
      name: absent
      optional: true
  values:
    image: {tag: "0.0.1"}
  install: {crds: Skip}
  postRenderers:
    - kustomize:
        patches:
          - target: {kind: Deployment}
            patch: |
              - op: add
                path: /metadata/annotations
                value: {post: rendered}
"""

FILES = {
    "clusters/dev/flux-system/gotk-sync.yaml": gotk_sync("dev"),
    "clusters/dev/units.yaml": UNITS,
    "platform/apps-ks/apps.yaml": APPS_KS,
    "apps/dev/kustomization.yaml": "resources: [release.yaml, values.yaml]\n",
    "apps/dev/release.yaml": RELEASE,
    "apps/dev/values.yaml": """apiVersion: v1
kind: ConfigMap
metadata: {name: web-values, namespace: web}
data:
  values.yaml: |
    replicaCount: 4
  image_tag: "1.2.3"
""",
    "charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    "charts/web/values.yaml": "replicaCount: 1\nimage: {tag: latest}\n",
    "charts/web/crds/widget.yaml": """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true,
              schema: {openAPIV3Schema: {type: object}}}]
""",
    "charts/web/templates/deployment.yaml": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: "nginx:{{ .Values.image.tag }}"
""",
}


def test_helm_release_values_release_name_post_renderers_and_crds(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    repo = make_repo(FILES)
    result = run_cli("render", "--env", "dev", cwd=repo)
    assert result.code == 0, result.stderr
    objects = [o for o in yaml.safe_load_all(result.stdout) if isinstance(o, dict)]
    [deployment] = [o for o in objects if o["kind"] == "Deployment"]
    assert deployment["metadata"]["name"] == "web-prod-web"  # <targetNamespace>-<name>
    assert deployment["metadata"]["namespace"] == "web-prod"
    assert deployment["spec"]["replicas"] == 4  # valuesFrom values.yaml
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "nginx:1.2.3"  # targetPath wins over spec.values
    assert deployment["metadata"]["annotations"] == {"post": "rendered"}
    assert deployment["metadata"]["labels"]["helm.toolkit.fluxcd.io/name"] == "web"
    assert not [o for o in objects if o["kind"] == "CustomResourceDefinition"]  # crds: Skip


def test_a_path_filled_in_by_postbuild_is_followed_and_cached(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    repo = make_repo(FILES)
    envs = run_cli("envs", "--json", cwd=repo)
    # apps/dev is built by the cluster (./apps/${cluster_name}): not an overlay of its own.
    assert [row["name"] for row in yaml.safe_load(envs.stdout)] == ["dev"]
    first = run_cli("-v", "validate", cwd=repo)
    assert "flux: building Kustomization/flux-system/apps (./apps/dev)" in first.stderr
    second = run_cli("-v", "validate", cwd=repo)
    assert "render cache hit" in second.stderr and "flux: building" not in second.stderr
    assert first.code == second.code
