"""A Flux repository validated end to end with no config: real kustomize, real Helm SDK,
real sops for the encrypted Secret that feeds postBuild substitution."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import yaml
from chart_servers import HttpChartRepository, OciRegistry, make_chart
from flux_support import PODINFO_RELEASE, flux_repository, gotk_sync
from support import RunCli

CANARY = "canary-7f3a9c1e-do-not-leak"
MakeRepo = Callable[[Mapping[str, str | bytes]], Path]


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_flux_example_repository_validates_without_config(
    make_repo: MakeRepo,
    run_cli: RunCli,
    sops_encrypt,
    cache_dir: Path,
    tmp_path: Path,
    chart_repo: HttpChartRepository,
    oci_registry: OciRegistry,
) -> None:
    """Done-when 1 of issue 13: both clusters found and rendered with no config, charts from
    this repository, an HTTP chart repository and an OCI registry (loopback), substitution from
    a ConfigMap and a SOPS Secret, the privileged container reported on the HelmRelease line."""
    chart_repo.add(make_chart(tmp_path / "src", "ingress-nginx", "4.2.0"))
    oci_url = oci_registry.push(make_chart(tmp_path / "src", "metrics", "0.3.1"), tmp_path / "pkg")
    repo = make_repo(flux_repository(sops_encrypt, chart_repo.url, oci_url))
    rendered = run_cli("render", "--env", "staging", cwd=repo)
    releases = {
        o["metadata"]["labels"].get("helm.toolkit.fluxcd.io/name")
        for o in yaml.safe_load_all(rendered.stdout)
        if isinstance(o, dict) and o["kind"] == "Deployment"
    }
    assert releases == {"ingress-nginx", "metrics", "podinfo"}, rendered.stderr
    result = run_cli("validate", "--format", "json", cwd=repo)
    assert result.code == 1, result.stderr
    document = json.loads(result.stdout)
    assert {env["name"] for env in document["environments"]} == {"production", "staging"}
    assert all(env["resources"] >= 12 for env in document["environments"])
    findings = document["findings"]
    privileged = [f for f in findings if f["ruleId"] == "disallow-privileged-containers"]
    assert len(privileged) == 2  # one per cluster
    for finding in privileged:
        assert finding["unit"] == "HelmRelease/podinfo/podinfo"
        assert finding["location"]["file"] == "apps/base/podinfo/release.yaml"
        assert finding["location"]["line"] == _line_of(PODINFO_RELEASE, "privileged: true")
    assert not [
        f
        for f in findings
        if f["ruleId"] in ("render-failed", "substitution-unresolved", "source-skipped")
    ]
    assert CANARY not in result.stdout + result.stderr

    again = run_cli("-v", "validate", cwd=repo)
    assert again.code == 1
    assert again.stderr.count("render cache hit") == 2, again.stderr
    assert "flux: building" not in again.stderr
    assert "disallow-privileged-containers" in again.stdout
    cached = "".join(p.read_text() for p in cache_dir.rglob("*.json"))
    assert cached and CANARY not in cached


def test_post_build_substitution_from_configmap_and_sops_secret(
    make_repo: MakeRepo, run_cli: RunCli, sops_encrypt
) -> None:
    repo = make_repo(flux_repository(sops_encrypt))
    result = run_cli("render", "--env", "staging", cwd=repo)
    assert result.code == 0, result.stderr
    assert "host: podinfo.staging.example.com" in result.stdout  # ConfigMap variable
    assert "replicas: 2" in result.stdout  # a number once substituted, as Flux makes it
    assert "<sops:api_token>" in result.stdout  # the SOPS Secret's key, no value
    assert "kustomize.toolkit.fluxcd.io/name: apps" in result.stdout
    assert "helm.toolkit.fluxcd.io/name: podinfo" in result.stdout
    assert CANARY not in result.stdout + result.stderr


def test_an_unresolved_variable_is_a_finding_at_the_line_that_uses_it(
    make_repo: MakeRepo, run_cli: RunCli, sops_encrypt
) -> None:
    release = PODINFO_RELEASE.replace("    token: ${api_token}\n", "    token: ${undefined_var}\n")
    files = flux_repository(sops_encrypt) | {"apps/base/podinfo/release.yaml": release}
    result = run_cli("validate", "--env", "staging", "--format", "json", cwd=make_repo(files))
    document = json.loads(result.stdout)
    [finding] = [f for f in document["findings"] if f["ruleId"] == "substitution-unresolved"]
    assert finding["location"]["file"] == "apps/base/podinfo/release.yaml"
    assert finding["location"]["line"] == _line_of(release, "${undefined_var}")
    assert finding["unit"] == "Kustomization/flux-system/apps"
    assert "undefined_var" in finding["message"]


FEATURES_UNITS = """apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: elsewhere
  namespace: flux-system
spec:
  url: https://github.com/someone/else
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: remote
  namespace: flux-system
spec:
  path: ./
  sourceRef: {kind: GitRepository, name: elsewhere}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: broken
  namespace: flux-system
spec:
  path: ./does-not-exist
  sourceRef: {kind: GitRepository, name: flux-system}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: features
  namespace: flux-system
spec:
  path: ./features
  sourceRef: {kind: GitRepository, name: flux-system}
  targetNamespace: feat
  namePrefix: x-
  images:
    - {name: nginx, newTag: "1.27.1"}
  components: [../components/team]
  commonMetadata:
    labels: {owner: web-team}
  patches:
    - target: {kind: Deployment}
      patch: |
        - op: replace
          path: /spec/replicas
          value: 3
  postBuild:
    substitute: {tier: gold}
"""

FEATURES = {
    # No kustomization.yaml: Flux generates one, recursively, sub/ added as a directory.
    "features/deploy.yaml": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {tier: "${tier}"}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          securityContext: {privileged: true}
""",
    "features/nested/more/cm.yaml": """apiVersion: v1
kind: ConfigMap
metadata:
  name: script
  annotations: {kustomize.toolkit.fluxcd.io/substitute: disabled}
data: {run.sh: "echo ${HOME}"}
""",
    "features/sub/kustomization.yaml": "resources: [svc.yaml]\n",
    "features/sub/svc.yaml": (
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
        "spec: {ports: [{port: 80}], selector: {app: web}}\n"
    ),
    "components/team/kustomization.yaml": (
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
        "labels:\n  - pairs: {team: web}\n"
    ),
}


def test_kustomization_spec_fields_failures_and_foreign_sources(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    files = {
        "clusters/dev/flux-system/gotk-sync.yaml": gotk_sync("dev"),
        "clusters/dev/units.yaml": FEATURES_UNITS,
        **FEATURES,
    }
    repo = make_repo(files)
    rendered = run_cli("render", "--env", "dev", cwd=repo)
    assert rendered.code == 1  # the broken unit
    objects = {
        (o["kind"], o["metadata"]["name"]): o
        for o in yaml.safe_load_all(rendered.stdout)
        if isinstance(o, dict)
    }
    web = objects[("Deployment", "x-web")]
    assert web["metadata"]["namespace"] == "feat"  # targetNamespace
    assert web["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27.1"
    assert web["spec"]["replicas"] == 3  # spec.patches
    labels = web["metadata"]["labels"]
    assert labels["team"] == "web"  # the component
    assert labels["owner"] == "web-team"  # commonMetadata
    assert labels["tier"] == "gold"  # postBuild.substitute
    assert labels["kustomize.toolkit.fluxcd.io/name"] == "features"
    script = objects[("ConfigMap", "x-script")]  # found by the generated kustomization
    assert script["data"]["run.sh"] == "echo ${HOME}"  # substitution disabled on it
    assert ("Service", "x-web") in objects  # sub/ built as its own kustomization

    result = run_cli("validate", "--format", "json", cwd=repo)
    findings = json.loads(result.stdout)["findings"]
    [failed] = [f for f in findings if f["ruleId"] == "render-failed"]
    assert failed["unit"] == "Kustomization/flux-system/broken"
    assert failed["location"]["file"] == "clusters/dev/units.yaml"
    assert "does-not-exist" in failed["message"]
    [skipped] = [f for f in findings if f["ruleId"] == "source-skipped"]
    assert skipped["unit"] == "Kustomization/flux-system/remote"
    assert "GitRepository/flux-system/elsewhere" in skipped["message"]
    # The rest of the cluster was still checked: a policy finding on the built Deployment.
    [privileged] = [f for f in findings if f["ruleId"] == "disallow-privileged-containers"]
    assert privileged["unit"] == "Kustomization/flux-system/features"
    assert privileged["location"]["file"] == "features/deploy.yaml"
    assert privileged["location"]["line"] == 15


def test_envs_json_lists_clusters_with_their_units(
    make_repo: MakeRepo, run_cli: RunCli, sops_encrypt
) -> None:
    repo = make_repo(flux_repository(sops_encrypt))
    result = run_cli("envs", "--json", cwd=repo)
    assert result.code == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"production", "staging"}
    staging = rows["staging"]
    assert staging["flux"] == {
        "entry": "clusters/staging/flux-system/gotk-sync.yaml",
        "kustomization": "flux-system",
    }
    assert "HelmRelease/podinfo/podinfo" in staging["units"]
    assert "Kustomization/flux-system/apps" in staging["units"]
    assert staging["discovered"].startswith("Flux: ")
    doctor = run_cli("doctor", cwd=repo)
    assert "env staging" in doctor.stdout and "which is this repository" in doctor.stdout


PLACEHOLDER = "# This file will be generated automatically by flux bootstrap.\n"

ARTIFACT_UNITS = """apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata:
  name: flux-system
  namespace: flux-system
spec:
  sources:
    - alias: monorepo
      kind: GitRepository
      name: flux-system
  artifacts:
    - name: apps
      copy:
        - from: "@monorepo/apps/base/**"
          to: "@artifact/base/"
        - from: "@monorepo/apps/staging/**"
          to: "@artifact/staging/"
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  sourceRef:
    kind: ExternalArtifact
    name: apps
  path: ./staging
"""


def test_bootstrap_placeholder_and_artifact_generator_layout(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    """fluxcd/flux2-kustomize-helm-example today: gotk files are placeholders until bootstrap
    and apps are built from an ExternalArtifact an ArtifactGenerator cuts from the repo."""
    files = {
        "clusters/staging/flux-system/gotk-components.yaml": PLACEHOLDER,
        "clusters/staging/flux-system/gotk-sync.yaml": PLACEHOLDER,
        "clusters/staging/flux-system/kustomization.yaml": (
            "resources:\n  - gotk-components.yaml\n  - gotk-sync.yaml\n"
        ),
        "clusters/staging/apps.yaml": ARTIFACT_UNITS,
        "apps/base/podinfo/kustomization.yaml": "resources: [deploy.yaml]\n",
        "apps/base/podinfo/deploy.yaml": FEATURES["features/deploy.yaml"],
        "apps/staging/kustomization.yaml": "namespace: web\nresources: [../base/podinfo]\n",
    }
    repo = make_repo(files)
    envs = json.loads(run_cli("envs", "--json", cwd=repo).stdout)
    assert [row["name"] for row in envs] == ["staging"]  # apps/staging is not an overlay env
    result = run_cli("validate", "--format", "json", cwd=repo)
    document = json.loads(result.stdout)
    [privileged] = [
        f for f in document["findings"] if f["ruleId"] == "disallow-privileged-containers"
    ]
    assert privileged["unit"] == "Kustomization/flux-system/apps"
    assert privileged["resource"]["namespace"] == "web"
    assert privileged["location"]["file"] == "apps/base/podinfo/deploy.yaml"  # not the copy
    assert privileged["location"]["line"] == 15
