"""An Argo CD environment through the render stage: render cache and chart cache together."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from argo_repo import argo_repository
from chart_servers import HttpChartRepository, make_chart

from validator.model import ArgoSpec, EnvironmentSpec, Settings
from validator.render import plan_render, render_environment, store_render


def _settings(repo: Path, cache: Path, offline: bool = False) -> Settings:
    spec = EnvironmentSpec("staging", "1.33", argo=ArgoSpec("staging"))
    return Settings(
        repo_root=repo,
        config_file=None,
        kubernetes_version="1.33",
        environments=(spec,),
        cache_dir=cache,
        use_cache=True,
        offline=offline,
    )


def test_a_second_run_with_nothing_changed_fetches_and_renders_nothing(
    tmp_path: Path, chart_repo: HttpChartRepository, caplog: pytest.LogCaptureFixture
) -> None:
    chart_repo.add(make_chart(tmp_path / "src", "web", "1.2.0"))
    repo = argo_repository(tmp_path / "repo", chart_repo.url)
    (repo / "argocd" / "apps" / "monitoring.yaml").unlink()  # no skipped source: cacheable
    settings = _settings(repo, tmp_path / "cache")
    spec = settings.environments[0]

    first_plan = plan_render(spec, settings)
    assert first_plan.cache_key is None  # the chart's version is not known before a fetch
    first = render_environment(first_plan, settings)
    assert not first.findings and not first.from_cache
    assert {r.ref.name for r in first.resources} == {"stg-web", "cache-web"}
    store_render(first_plan, first, settings)  # keyed once the chart is in the chart cache
    requests = list(chart_repo.requests)

    second_plan = plan_render(spec, settings)
    assert second_plan.cache_key is not None
    assert "argocd/apps/cache.yaml" in second_plan.input_files
    assert "apps/web/base/deployment.yaml" in second_plan.input_files

    caplog.set_level(logging.INFO, logger="gitops_validator")
    second = render_environment(second_plan, settings)
    assert second.from_cache
    assert "render cache hit" in caplog.text
    assert [r.ref.name for r in second.resources] == [r.ref.name for r in first.resources]
    assert chart_repo.requests == requests  # nothing fetched after the first run

    (repo / "apps" / "web" / "base" / "deployment.yaml").write_text(
        (repo / "apps" / "web" / "base" / "deployment.yaml").read_text().replace("1.27", "1.29")
    )
    assert plan_render(spec, settings).cache_key != second_plan.cache_key


def test_offline_with_a_cold_chart_cache_names_the_chart_it_could_not_get(
    tmp_path: Path, chart_repo: HttpChartRepository
) -> None:
    chart_repo.add(make_chart(tmp_path / "src", "web", "1.2.0"))
    repo = argo_repository(tmp_path / "repo", chart_repo.url)
    settings = _settings(repo, tmp_path / "cache", offline=True)
    rendered = render_environment(plan_render(settings.environments[0], settings), settings)
    [missing] = [f for f in rendered.findings if "chart web" in f.message]
    assert missing.rule_id == "source-skipped" and missing.severity.value == "info"
    assert "^1.0.0" in missing.message and chart_repo.url in missing.message
    assert "--offline" in missing.message
    assert chart_repo.requests == []
    assert "stg-web" in {r.ref.name for r in rendered.resources}
