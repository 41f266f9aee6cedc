"""Argo CD discovery and rendering on an app-of-apps repository with an ApplicationSet."""

from __future__ import annotations

from pathlib import Path

import pytest
from argo_repo import argo_repository
from chart_servers import HttpChartRepository, make_chart

from validator.render.argo import ArgoOptions, render_argo
from validator.render.argo_apps import discover_argo, normalize_repo_url


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/Example/GitOps.git",
        "https://github.com/example/gitops/",
        "git@github.com:example/gitops.git",
        "ssh://git@github.com/example/gitops",
        "https://user@github.com/example/gitops",
    ],
)
def test_repository_urls_are_normalised(url: str) -> None:
    assert normalize_repo_url(url) == "github.com/example/gitops"


def test_discovery_groups_applications_by_destination_cluster(tmp_path: Path) -> None:
    repo = argo_repository(tmp_path / "repo", "http://127.0.0.1:1/charts")
    found = discover_argo(repo)
    clusters = {name: sorted(a.unit for a in apps) for name, apps in found.clusters().items()}
    assert clusters == {
        "in-cluster": ["Application/argocd/root"],
        "production": ["Application/argocd/svc-api", "Application/argocd/svc-worker"],
        "staging": [
            "Application/argocd/cache",
            "Application/argocd/monitoring",
            "Application/argocd/web",
        ],
    }
    generated = next(a for a in found.applications if a.name == "svc-api")
    assert (generated.file, generated.line) == ("argocd/apps/services.yaml", 1)


def _options(tmp_path: Path, cluster: str) -> ArgoOptions:
    return ArgoOptions(cluster, cluster, "1.33", tmp_path / "cache", offline=False)


def test_staging_renders_kustomize_options_charts_and_skips_foreign_sources(
    tmp_path: Path, chart_repo: HttpChartRepository
) -> None:
    chart_repo.add(make_chart(tmp_path / "src", "web", "1.2.0"))
    repo = argo_repository(tmp_path / "repo", chart_repo.url)
    result = render_argo(repo, _options(tmp_path, "staging"))
    by_name = {d.body["metadata"]["name"]: d for d in result.documents}
    web = by_name["stg-web"]
    assert web.unit == "Application/argocd/web"
    assert web.body["metadata"]["namespace"] == "web"
    assert web.body["metadata"]["labels"] == {"team": "web"}
    container = web.body["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.28"
    assert (web.origin.file, web.origin.line) == ("apps/web/base/deployment.yaml", 1)
    chart = by_name["cache-web"]
    assert chart.body["metadata"]["namespace"] == "cache"
    assert chart.body["spec"]["template"]["spec"]["containers"][0]["securityContext"] == {
        "privileged": True
    }
    assert (chart.origin.file, chart.origin.line) == ("argocd/apps/cache.yaml", 1)
    assert by_name["prom"].body["metadata"]["namespace"] == "monitoring"
    [skipped] = result.findings
    assert skipped.rule_id == "source-skipped" and skipped.severity.value == "info"
    assert "https://github.com/other/team-repo.git path deploy" in skipped.message
    assert skipped.location is not None and skipped.location.file == "argocd/apps/monitoring.yaml"


def test_app_of_apps_and_applicationset_reach_the_production_cluster(tmp_path: Path) -> None:
    repo = argo_repository(tmp_path / "repo", "http://127.0.0.1:1/charts")
    production = render_argo(repo, _options(tmp_path, "production"))
    names = sorted((d.unit, d.body["metadata"]["name"]) for d in production.documents)
    assert names == [
        ("Application/argocd/svc-api", "api-settings"),
        ("Application/argocd/svc-worker", "svc-worker"),
    ]
    worker = next(d for d in production.documents if d.unit.endswith("svc-worker"))
    assert worker.origin.file == "apps/services/worker/templates/cm.yaml"
    assert worker.body["metadata"]["namespace"] == "worker"
    root = render_argo(repo, _options(tmp_path, "in-cluster"))
    children = sorted(d.body["metadata"]["name"] for d in root.documents)
    assert children == ["cache", "monitoring", "services", "web"]


def test_an_application_cycle_renders_each_application_once(tmp_path: Path) -> None:
    repo = argo_repository(tmp_path / "repo", "http://127.0.0.1:1/charts")
    # The root also lists itself (apps/ holds a copy of root): rendered once, no loop.
    (repo / "argocd" / "apps" / "root-again.yaml").write_text(
        (repo / "argocd" / "root.yaml").read_text()
    )
    result = render_argo(repo, _options(tmp_path, "in-cluster"))
    assert result.units == ["Application/argocd/root"]


def test_an_unreachable_chart_repository_is_an_info_finding(tmp_path: Path) -> None:
    repo = argo_repository(tmp_path / "repo", "http://127.0.0.1:9/charts")
    result = render_argo(repo, _options(tmp_path, "staging"))
    unreachable = [f for f in result.findings if "chart web" in f.message]
    assert [f.rule_id for f in unreachable] == ["source-skipped"]
    assert "cannot reach" in unreachable[0].message
