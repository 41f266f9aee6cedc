"""HelmReleases whose charts come from a chart repository (HTTP) and an OCI registry, both
served on loopback (the chart cache's test servers), through the real chart cache."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

from chart_servers import HttpChartRepository, OciRegistry, make_chart
from flux_support import gotk_sync
from support import RunCli

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]


def _releases(http_url: str, oci_url: str) -> str:
    return f"""apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {{name: charts, namespace: apps}}
spec:
  url: {http_url}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {{name: web, namespace: apps}}
spec:
  chart:
    spec:
      chart: web
      version: "1.x"
      sourceRef: {{kind: HelmRepository, name: charts}}
  values:
    privileged: true
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {{name: api, namespace: apps}}
spec:
  url: {oci_url}/api
  ref: {{tag: 0.3.0}}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {{name: api, namespace: apps}}
spec:
  chartRef: {{kind: OCIRepository, name: api}}
  values:
    privileged: false
"""


def test_helm_releases_from_http_and_oci_repositories(
    make_repo: MakeRepo,
    run_cli: RunCli,
    tmp_path: Path,
    chart_repo: HttpChartRepository,
    oci_registry: OciRegistry,
) -> None:
    chart_repo.add(make_chart(tmp_path / "src", "web", "1.2.0"))
    oci_url = oci_registry.push(make_chart(tmp_path / "src", "api", "0.3.0"), tmp_path / "pkg")
    releases = _releases(chart_repo.url, oci_url)
    repo = make_repo(
        {
            "clusters/dev/flux-system/gotk-sync.yaml": gotk_sync("dev"),
            "clusters/dev/releases.yaml": releases,
        }
    )
    result = run_cli("-v", "validate", "--format", "json", cwd=repo)
    assert result.code == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["environments"][0]["resources"] >= 6  # both charts' Deployments
    [privileged] = [
        f for f in document["findings"] if f["ruleId"] == "disallow-privileged-containers"
    ]
    assert privileged["unit"] == "HelmRelease/apps/web"
    assert privileged["resource"]["namespace"] == "apps"
    assert privileged["location"]["file"] == "clusters/dev/releases.yaml"
    line = next(i for i, text in enumerate(releases.splitlines(), 1) if "privileged: true" in text)
    assert privileged["location"]["line"] == line
    assert not [f for f in document["findings"] if f["ruleId"] == "source-skipped"]

    requests = len(chart_repo.requests)
    again = run_cli("-v", "validate", cwd=repo)
    assert "dev: render cache hit" in again.stderr, again.stderr
    assert len(chart_repo.requests) == requests  # charts from the chart cache, nothing fetched


def test_offline_with_an_empty_chart_cache_names_the_charts_it_skipped(
    make_repo: MakeRepo, run_cli: RunCli, tmp_path: Path, chart_repo: HttpChartRepository
) -> None:
    chart_repo.add(make_chart(tmp_path / "src", "web", "1.2.0"))
    releases = _releases(chart_repo.url, "oci://127.0.0.1:9/charts")
    repo = make_repo(
        {
            "clusters/dev/flux-system/gotk-sync.yaml": gotk_sync("dev"),
            "clusters/dev/releases.yaml": releases,
        }
    )
    result = run_cli("--offline", "validate", "--format", "json", cwd=repo)
    assert result.code in (0, 1), result.stderr
    skipped = {
        f["unit"]: f
        for f in json.loads(result.stdout)["findings"]
        if f["ruleId"] == "source-skipped"
    }
    assert set(skipped) == {"HelmRelease/apps/web", "HelmRelease/apps/api"}
    assert all(f["severity"] == "info" for f in skipped.values())
    assert "web" in skipped["HelmRelease/apps/web"]["message"]
    assert chart_repo.requests == []  # offline: nothing asked of the repository
