"""Done-when 2 of issue 13: `validate` with no config on an Argo CD app-of-apps repository with
an ApplicationSet discovers the clusters and reports findings at their source lines."""

from __future__ import annotations

import json
from pathlib import Path

from argo_repo import argo_repository
from chart_servers import HttpChartRepository, make_chart
from support import RunCli


def test_validate_discovers_argo_clusters_and_locates_findings(
    tmp_path: Path, chart_repo: HttpChartRepository, run_cli: RunCli
) -> None:
    chart_repo.add(make_chart(tmp_path / "src", "web", "1.2.0"))
    repo = argo_repository(tmp_path / "repo", chart_repo.url)

    listed = run_cli("--repo", str(repo), "envs", "--json")
    assert listed.code == 0, listed.stderr
    names = sorted(row["name"] for row in json.loads(listed.stdout))
    assert names == ["in-cluster", "production", "staging"]

    done = run_cli("--repo", str(repo), "-v", "validate", "--format", "json")
    assert done.code == 1, done.stderr
    report = json.loads(done.stdout)
    assert sorted(e["name"] for e in report["environments"]) == names
    privileged = {
        (f["environment"], f["resource"]["name"], f["location"]["file"], f["location"]["line"])
        for f in report["findings"]
        if f["ruleId"] == "disallow-privileged-containers"
    }
    assert privileged == {
        ("staging", "stg-web", "apps/web/base/deployment.yaml", 16),
        # A chart from a repository: the Application is what one edits (its `spec:` line).
        ("staging", "cache-web", "argocd/apps/cache.yaml", 6),
    }
    skipped = [f for f in report["findings"] if f["ruleId"] == "source-skipped"]
    assert [(f["severity"], f["location"]["file"]) for f in skipped] == [
        ("info", "argocd/apps/monitoring.yaml")
    ]
    assert "downloading 1.2.0" in done.stderr

    requests = len(chart_repo.requests)
    (repo / "argocd/apps/monitoring.yaml").unlink()  # every environment cacheable
    run_cli("--repo", str(repo), "validate", "--format", "json")
    again = run_cli("--repo", str(repo), "-v", "validate", "--format", "json")
    assert again.code == 1, again.stderr
    for cluster in names:
        assert f"{cluster}: render cache hit, kustomize and Helm skipped" in again.stderr
    assert len(chart_repo.requests) == requests  # the chart came from the chart cache
