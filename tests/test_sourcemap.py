"""Findings on rendered objects point at the line of the source file that set the field.

The pipeline's checks are swapped for one that reports fixed JSON paths, so the source map is
exercised through the real CLI, real kustomize and the real Helm SDK.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support import deployment

from validator import pipeline
from validator.cli.main import main
from validator.model import Category, Finding, RenderedEnvironment, Settings, Severity

PATHS = {
    "Deployment": [
        "/spec/template/spec/containers/0/image",
        "/spec/template/spec/containers/0/name",
        "/spec/replicas",
        "/metadata/namespace",
        "/spec/template/spec/containers/1/image",
    ],
    "Ingress": ["/spec/rules/0/host"],
}


class ReportPathsStage:
    """A stand-in stage that reports fixed JSON paths, so only the source map is under test."""

    def __init__(self, settings: Settings) -> None:
        pass

    def checks(self, environment: str) -> tuple[str, ...]:
        return ("test-path",)

    def check_repository(self, files: object) -> list[Finding]:
        return []

    def finish(self) -> list[Finding]:
        return []

    def memo(self, environment: str) -> None:
        return None

    def replay(self, environment: str, memo: object) -> None:
        return None

    def check_environment(self, env: RenderedEnvironment, old: object) -> list[Finding]:
        return _report_paths(env)


def _report_paths(env: RenderedEnvironment) -> list[Finding]:
    return [
        Finding(
            rule_id="test-path",
            category=Category.POLICY,
            severity=Severity.WARNING,
            message=path,
            environment=env.name,
            resource=resource.ref,
            path=path,
        )
        for resource in env.resources
        for path in PATHS.get(resource.ref.kind, [])
    ]


@pytest.fixture
def locate(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], cache_dir: Path
) -> Callable[[Path, str], dict[tuple[str, str], tuple[str, int]]]:
    monkeypatch.setattr(pipeline, "STAGES", (ReportPathsStage,))
    monkeypatch.setenv("GITOPS_VALIDATOR_CACHE_DIR", str(cache_dir))

    def run(repo: Path, env: str) -> dict[tuple[str, str], tuple[str, int]]:
        main(["--repo", str(repo), "validate", "--env", env, "--format", "json"])
        findings = json.loads(capsys.readouterr().out)["findings"]
        return {
            (f["resource"]["kind"], f["path"]): (f["location"]["file"], f["location"]["line"])
            for f in findings
            if f["ruleId"] == "test-path"
        }

    return run


def test_fields_point_at_the_overlay_patch_or_the_base(make_repo, locate) -> None:
    repo = make_repo(
        {
            "overlays/base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
            "overlays/base/deployment.yaml": deployment("web"),
            "overlays/prod/kustomization.yaml": (
                "namespace: shop\nresources:\n  - ../base\npatches:\n  - path: patch-web.yaml\n"
            ),
            "overlays/prod/patch-web.yaml": (
                "apiVersion: apps/v1\n"
                "kind: Deployment\n"
                "metadata:\n"
                "  name: web\n"
                "spec:\n"
                "  template:\n"
                "    spec:\n"
                "      containers:\n"
                "        - name: sidecar\n"
                "          image: busybox:latest\n"  # line 10
                "        - name: web\n"
                "          image: nginx:latest\n"  # line 12
            ),
        }
    )
    located = locate(repo, "prod")
    # kustomize merges containers by name and puts the new sidecar first: index 0 is the
    # sidecar (patch line 10), index 1 is "web" (patch line 12), whatever the list order.
    assert located[("Deployment", "/spec/template/spec/containers/0/image")] == (
        "overlays/prod/patch-web.yaml",
        10,
    )
    assert located[("Deployment", "/spec/template/spec/containers/1/image")] == (
        "overlays/prod/patch-web.yaml",
        12,
    )
    # Fields the patch does not set stay with the base file.
    assert located[("Deployment", "/spec/replicas")] == ("overlays/base/deployment.yaml", 6)
    # The patch names the container only to select it; the base set the name.
    assert located[("Deployment", "/spec/template/spec/containers/0/name")][0] in (
        "overlays/prod/patch-web.yaml",
        "overlays/base/deployment.yaml",
    )
    assert located[("Deployment", "/metadata/namespace")] == (
        "overlays/prod/kustomization.yaml",
        1,
    )


def test_transformers_and_inline_patches_point_at_the_kustomization(make_repo, locate) -> None:
    repo = make_repo(
        {
            "overlays/base/kustomization.yaml": (
                "resources:\n  - deployment.yaml\n  - ingress.yaml\n"
            ),
            "overlays/base/deployment.yaml": deployment("web"),
            "overlays/base/ingress.yaml": (
                "apiVersion: networking.k8s.io/v1\n"
                "kind: Ingress\n"
                "metadata:\n"
                "  name: web\n"
                "spec:\n"
                "  rules:\n"
                "    - host: shop.example.com\n"
            ),
            "overlays/dev/kustomization.yaml": (
                "resources:\n"  # 1
                "  - ../base\n"
                "images:\n"
                "  - name: nginx\n"
                "    newTag: '1.29'\n"  # 5
                "replicas:\n"
                "  - name: web\n"
                "    count: 3\n"  # 8
                "patches:\n"
                "  - target: {kind: Ingress, name: web}\n"
                "    patch: |-\n"  # 11
                "      - op: replace\n"  # 12
                "        path: /spec/rules/0/host\n"
                "        value: shop.dev.example.com\n"
            ),
        }
    )
    located = locate(repo, "dev")
    kustomization = "overlays/dev/kustomization.yaml"
    assert located[("Deployment", "/spec/template/spec/containers/0/image")] == (kustomization, 5)
    assert located[("Deployment", "/spec/replicas")] == (kustomization, 8)
    assert located[("Ingress", "/spec/rules/0/host")] == (kustomization, 12)


def test_demo_prod_resources_point_at_the_prod_patch(demo_repo, locate) -> None:
    located = locate(demo_repo, "prod")
    assert located[("Deployment", "/spec/replicas")] == ("overlays/prod/kustomization.yaml", 12)
    image = located[("Deployment", "/spec/template/spec/containers/0/image")]
    assert image == ("overlays/prod/kustomization.yaml", 9)  # the images: entry's newTag
    assert located[("Ingress", "/spec/rules/0/host")] == ("overlays/base/ingress.yaml", 8)


def test_helm_template_fields_point_into_the_template(demo_repo, locate) -> None:
    located = locate(demo_repo, "status-prod")
    template = "overlays/charts/status-page/templates/deployment.yaml"
    file, line = located[("Deployment", "/spec/template/spec/containers/0/image")]
    assert file == template
    lines = (demo_repo / template).read_text().splitlines()
    assert lines[line - 1].strip().startswith("image:")
    assert located[("Deployment", "/spec/replicas")][0] == template


def test_located_answers_are_kept_with_the_render_and_follow_edits(
    make_repo, locate, cache_dir
) -> None:
    patch = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
        "spec:\n  replicas: 4\n"  # line 6
    )
    repo = make_repo(
        {
            "overlays/base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
            "overlays/base/deployment.yaml": deployment("web"),
            "overlays/prod/kustomization.yaml": (
                "resources:\n  - ../base\npatches:\n  - path: patch-web.yaml\n"
            ),
            "overlays/prod/patch-web.yaml": patch,
        }
    )
    first = locate(repo, "prod")
    kept = list(cache_dir.rglob("*.locations.json"))
    assert len(kept) == 1
    # Only files, lines and JSON pointers are kept: no value of the rendered objects.
    assert "nginx" not in kept[0].read_text()
    assert locate(repo, "prod") == first  # answered from the kept index
    assert first[("Deployment", "/spec/replicas")] == ("overlays/prod/patch-web.yaml", 6)
    # An edit is a new render cache key, so a kept answer never outlives the file it read.
    (repo / "overlays/prod/patch-web.yaml").write_text("# moved\n\n" + patch)
    moved = locate(repo, "prod")
    assert moved[("Deployment", "/spec/replicas")] == ("overlays/prod/patch-web.yaml", 8)
