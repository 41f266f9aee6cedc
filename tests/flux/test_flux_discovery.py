"""Discovery without a config: Flux clusters, then Argo CD, then leaf Kustomize overlays."""

from __future__ import annotations

from pathlib import Path

import pytest
from flux_support import APPS, CHART, GOTK_COMPONENTS, cluster_units, gotk_sync, infra_controllers
from support import git_init, write_files

from validator import discover
from validator.config import Overrides, resolve_settings
from validator.discover import discover_environments
from validator.discover.names import assign_names

COMPONENT = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git_init(root)
    return write_files(root, files)


def _cluster(name: str) -> dict[str, str]:
    base = f"clusters/{name}"
    return {
        f"{base}/flux-system/gotk-components.yaml": GOTK_COMPONENTS,
        f"{base}/flux-system/gotk-sync.yaml": gotk_sync(name),
        f"{base}/flux-system/kustomization.yaml": (
            "resources:\n  - gotk-components.yaml\n  - gotk-sync.yaml\n"
        ),
        f"{base}/units.yaml": cluster_units(name),
    }


def test_flux_clusters_are_environments_and_their_paths_are_not(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {**_cluster("staging"), **_cluster("production"), **infra_controllers(), **APPS, **CHART},
    )
    found = discover_environments(repo)
    assert [(e.spec.name, e.step) for e in found.environments] == [
        ("production", "flux"),
        ("staging", "flux"),
    ]
    staging = found.environments[1]
    assert staging.spec.flux is not None
    assert staging.spec.flux.entry == "clusters/staging/flux-system/gotk-sync.yaml"
    assert "builds ./clusters/staging" in staging.reason
    assert staging.units == (
        "Kustomization/flux-system/flux-system",
        "Kustomization/flux-system/infra-controllers",
        "HelmRelease/ingress-nginx/ingress-nginx",
        "HelmRelease/monitoring/metrics",
        "Kustomization/flux-system/apps",
        "HelmRelease/podinfo/podinfo",
    )
    # apps/staging is a leaf kustomization, but Flux builds it: not an overlay environment.
    assert any(note.startswith("apps/staging:") for note in found.notes)


def test_a_kustomization_of_another_repository_is_not_a_cluster(tmp_path: Path) -> None:
    sync = gotk_sync("staging").replace(
        "name: flux-system\n  namespace: flux-system\nspec:\n  interval: 1m0s",
        "name: other\n  namespace: flux-system\nspec:\n  interval: 1m0s",
    )
    sync = sync.replace(
        "    kind: GitRepository\n    name: flux-system", "    kind: GitRepository\n    name: other"
    )
    repo = _repo(tmp_path, {"clusters/staging/sync.yaml": sync})
    found = discover_environments(repo)
    assert found.environments == ()
    assert any("GitRepository/flux-system/other" in note for note in found.notes)


def test_a_git_repository_with_this_repositorys_remote_is_ours(tmp_path: Path) -> None:
    sync = gotk_sync("prod").replace("name: flux-system", "name: fleet")
    repo = _repo(tmp_path, {"clusters/prod/sync.yaml": sync})
    (repo / ".git" / "config").write_text(
        '[remote "origin"]\n\turl = git@github.com:Example/fleet.git\n', encoding="utf-8"
    )
    [entry] = discover_environments(repo).environments
    assert entry.spec.name == "prod"
    assert entry.spec.flux is not None and entry.spec.flux.name == "fleet"


def test_leaf_overlays_only_never_bases_or_components(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            "overlays/base/kustomization.yaml": "resources: [deploy.yaml]\n",
            "overlays/dev/kustomization.yaml": "resources: [../base]\ncomponents: [../../comp]\n",
            "overlays/prod/kustomization.yaml": "resources: [../base]\n",
            "comp/kustomization.yaml": COMPONENT,
            "lonely/kustomization.yaml": COMPONENT,
        },
    )
    found = discover_environments(repo)
    assert [(e.spec.name, e.spec.path) for e in found.environments] == [
        ("dev", "overlays/dev"),
        ("prod", "overlays/prod"),
    ]


def test_names_are_valid_deterministic_and_never_collide(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            **_cluster("staging"),
            "clusters/staging/units.yaml": "",
            "overlays/staging/kustomization.yaml": "resources: []\n",
            "Teams/Web_App/kustomization.yaml": "resources: []\n",
        },
    )
    names = [e.spec.name for e in discover_environments(repo).environments]
    assert names == ["clusters-staging", "web_app", "overlays-staging"]
    long = "x" * 80
    first = assign_names([f"a/{long}", f"b/{long}", "c/UPPER"])
    assert first == assign_names([f"a/{long}", f"b/{long}", "c/UPPER"])
    assert len(set(first)) == 3 and first[2] == "upper"
    assert all(len(n) <= 63 and n[0].isalnum() and n[-1].isalnum() for n in first)


def test_the_config_file_overrides_discovery(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        {
            **_cluster("staging"),
            "overlays/dev/kustomization.yaml": "resources: []\n",
            "gitops-validator.yaml": "environments:\n  only: {path: overlays/dev}\n",
        },
    )
    settings = resolve_settings(repo, Overrides())
    assert [e.name for e in settings.environments] == ["only"]


def test_a_missing_step_module_finds_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(tmp_path, {"overlays/dev/kustomization.yaml": "resources: []\n"})
    steps = (("argo", "validator.discover.not_installed"), *discover.STEPS[2:])
    monkeypatch.setattr(discover, "STEPS", steps)
    assert [e.spec.name for e in discover_environments(repo).environments] == ["dev"]
