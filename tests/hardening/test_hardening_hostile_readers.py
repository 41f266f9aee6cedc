"""Hostile files reached through the renderers' and discovery's own reads (issue 10, item 6):
an alias bomb, 10k-deep nesting (flow and compact block), a link to /dev/zero, a FIFO, a file
that is not UTF-8 and one over the size limit, planted where a Flux Kustomization path, a
HelmRelease values file, an Argo CD Application (its own file and its directory source), an
ApplicationSet git-files generator and a discovered overlay (a resource and its kustomization)
lead. Each is a finding or exit 3 naming the file, never a hang, a traceback or exit 70."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support import PROJECT_ROOT, RunCli, write_files

sys.path.insert(0, str(PROJECT_ROOT / "tests" / "flux"))  # the Flux repository helpers, shared
from flux_support import gotk_sync

ARGO = "apiVersion: argoproj.io/v1alpha1\n"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"
REMOTE = "https://github.com/example/gitops"


def _alias_bomb() -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


HOSTILE: dict[str, Callable[[Path], None]] = {
    "alias-bomb": lambda p: p.write_text(ARGO + "kind: ConfigMap\n" + _alias_bomb()),
    "deep-flow": lambda p: p.write_text(ARGO + "kind: X\ndata: " + "[" * 10_000 + "]" * 10_000),
    "deep-block": lambda p: p.write_text(ARGO + "kind: X\n---\n" + "- " * 10_000 + "x\n"),
    "dev-zero-link": lambda p: os.symlink("/dev/zero", p),
    "fifo": lambda p: os.mkfifo(p),
    "not-utf8": lambda p: p.write_bytes(ARGO.encode() + b"kind: X\ndata:\n  a: \xff\xfe\n"),
    "huge": lambda p: p.write_text(ARGO + "kind: X\ndata:\n  a: " + "x" * (9 << 20) + "\n"),
}

FLUX_UNIT = """apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: app, namespace: flux-system}
spec:
  path: ./app
  sourceRef: {kind: GitRepository, name: flux-system}
"""
FLUX_RELEASE = """apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: app, namespace: default}
spec:
  chart:
    spec:
      chart: ./charts/app
      valuesFiles: [./charts/app/values-prod.yaml]
      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}
"""
APPLICATION = ARGO + (
    "kind: Application\nmetadata: {name: web, namespace: argocd}\n"
    f"spec:\n  source: {{repoURL: {REMOTE}, path: manifests}}\n"
    "  destination: {name: in-cluster, namespace: web}\n"
)
APPLICATION_SET = ARGO + (
    "kind: ApplicationSet\nmetadata: {name: set, namespace: argocd}\nspec:\n  generators:\n"
    f"    - git: {{repoURL: {REMOTE}, revision: HEAD, files: [{{path: 'config/*.yaml'}}]}}\n"
    "  template:\n    metadata: {name: '{{path.basename}}'}\n    spec:\n"
    f"      source: {{repoURL: {REMOTE}, path: manifests}}\n"
    "      destination: {name: in-cluster, namespace: web}\n"
)


def _flux_path(root: Path) -> str:
    write_files(
        root,
        {
            "clusters/x/flux-system/gotk-sync.yaml": gotk_sync("x"),
            "clusters/x/units.yaml": FLUX_UNIT,
            "app/cm.yaml": CONFIGMAP,
        },
    )
    return "app/hostile.yaml"


def _flux_values(root: Path) -> str:
    write_files(
        root,
        {
            "clusters/x/flux-system/gotk-sync.yaml": gotk_sync("x"),
            "clusters/x/release.yaml": FLUX_RELEASE,
            "charts/app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
            "charts/app/values.yaml": "x: 1\n",
            "charts/app/templates/cm.yaml": CONFIGMAP,
        },
    )
    return "charts/app/values-prod.yaml"


def _argo(root: Path, files: dict[str, str]) -> None:
    subprocess.run(["git", "-C", str(root), "remote", "add", "origin", REMOTE], check=True)
    write_files(root, {"manifests/cm.yaml": CONFIGMAP, **files})


def _argo_application(root: Path) -> str:
    _argo(root, {"argocd/web.yaml": APPLICATION})
    return "argocd/hostile.yaml"


def _argo_directory_source(root: Path) -> str:
    _argo(root, {"argocd/web.yaml": APPLICATION})
    return "manifests/hostile.yaml"


def _argo_appset_git_file(root: Path) -> str:
    _argo(root, {"argocd/set.yaml": APPLICATION_SET, "config/ok.yaml": "env: ok\n"})
    return "config/hostile.yaml"


def _overlay_resource(root: Path) -> str:
    write_files(
        root,
        {
            "overlays/prod/kustomization.yaml": "resources: [cm.yaml, hostile.yaml]\n",
            "overlays/prod/cm.yaml": CONFIGMAP,
        },
    )
    return "overlays/prod/hostile.yaml"


def _overlay_kustomization(root: Path) -> str:
    write_files(
        root,
        {
            "overlays/prod/cm.yaml": CONFIGMAP,
            "overlays/dev/kustomization.yaml": "resources: [cm.yaml]\n",
            "overlays/dev/cm.yaml": CONFIGMAP,
        },
    )
    return "overlays/prod/kustomization.yaml"


READERS: dict[str, Callable[[Path], str]] = {
    "flux-kustomization-path": _flux_path,
    "helmrelease-values-file": _flux_values,
    "argo-application-file": _argo_application,
    "argo-directory-source": _argo_directory_source,
    "applicationset-git-file": _argo_appset_git_file,
    "overlay-resource": _overlay_resource,
    "overlay-kustomization": _overlay_kustomization,
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_hostile_file_is_a_finding_or_exit_3_naming_it(
    make_repo, run_cli: RunCli, reader: str, kind: str
) -> None:
    repo = make_repo({})
    relative = READERS[reader](repo)
    HOSTILE[kind](repo / relative)
    result = run_cli("validate", cwd=repo)  # run_cli bounds the run (a hang is a failure)
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "internal error" not in output, output[-2000:]
    assert result.code in (1, 3), (result.code, output[-2000:])
    if result.code == 3:
        assert re.search(rf"error: {re.escape(relative)}:\d+: ", result.stderr), result.stderr
    else:
        assert re.search(rf"^{re.escape(relative)}:\d+:\d+: error yaml-invalid", output, re.M), (
            output[-2000:]
        )


@pytest.mark.parametrize("kind", ["dev-zero-link", "fifo", "huge"])
def test_a_hostile_secret_generator_file_is_refused_before_kustomize(
    make_repo, run_cli: RunCli, kind: str
) -> None:
    """Not YAML, so not parsed: a FIFO or /dev/zero as an `envs` file hung the generated-value
    collection (read to the end), then kustomize itself."""
    repo = make_repo({})
    relative = _overlay_resource(repo).replace("hostile.yaml", "hostile.env")
    (repo / "overlays/prod/kustomization.yaml").write_text(
        "resources: [cm.yaml]\nsecretGenerator:\n  - name: s\n    envs: [hostile.env]\n"
    )
    HOSTILE[kind](repo / relative)
    result = run_cli("validate", cwd=repo)
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "internal error" not in output, output[-2000:]
    assert result.code == 1, output[-2000:]
    assert re.search(r"render-failed: .*(hostile\.env|/dev/zero)", output), output


@pytest.mark.parametrize("kind", ["dev-zero-link", "fifo"])
def test_a_hostile_rego_module_is_exit_3_not_left_out(
    make_repo, run_cli: RunCli, kind: str
) -> None:
    """conftest policies: a FIFO or /dev/zero among the .rego files was silently skipped."""
    repo = make_repo(
        {
            "gitops-validator.yaml": (
                "environments:\n  app: {path: overlays/prod}\n"
                "policies:\n  builtin: none\n  paths: [policies]\n"
            ),
            "policies/main.rego": (
                'package main\nimport rego.v1\ndeny contains "no" if input.kind == "Secret"\n'
            ),
        }
    )
    _overlay_resource(repo)
    (repo / "overlays/prod/kustomization.yaml").write_text("resources: [cm.yaml]\n")
    HOSTILE[kind](repo / "policies/hostile.rego")
    result = run_cli("validate", cwd=repo)
    assert result.code == 3, result.stdout + result.stderr
    assert "policies/hostile.rego:1: not a regular file" in result.stderr, result.stderr
