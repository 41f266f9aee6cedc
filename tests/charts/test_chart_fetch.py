"""fetch_chart against a real HTTP chart repository and a real OCI registry on loopback."""

from __future__ import annotations

import io
import logging
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

import helm_python
import pytest
import yaml
from chart_servers import HttpChartRepository, OciRegistry, free_port, make_chart, package
from token_service import TokenService

from validator.render.charts import (
    ChartError,
    ChartRequest,
    ChartUnavailableError,
    cached_resolution,
    fetch_chart,
)


def _version(chart_dir: Path) -> str:
    return str(yaml.safe_load((chart_dir / "Chart.yaml").read_text())["version"])


def test_http_range_resolves_the_highest_release_and_a_second_fetch_asks_nothing(
    tmp_path: Path, chart_repo: HttpChartRepository, caplog: pytest.LogCaptureFixture
) -> None:
    for version in ("1.0.0", "1.4.2", "1.5.0-rc.1", "2.0.0"):
        chart_repo.add(make_chart(tmp_path / "src", "web", version))
    request = ChartRequest("http", chart_repo.url, "web", "^1.0.0")

    chart = fetch_chart(request, tmp_path / "cache", offline=False)
    assert _version(chart) == "1.4.2"
    assert (chart / "templates" / "deployment.yaml").is_file()
    assert chart_repo.requests == ["/charts/index.yaml", "/charts/web-1.4.2.tgz"]

    caplog.set_level(logging.INFO, logger="gitops_validator.charts")
    again = fetch_chart(request, tmp_path / "cache", offline=False)
    assert again == chart
    assert len(chart_repo.requests) == 2  # nothing fetched the second time
    assert "1.4.2 from the cache" in caplog.text


def test_http_absolute_chart_urls_and_prerelease_on_request(
    tmp_path: Path, chart_repo: HttpChartRepository
) -> None:
    archive = package(make_chart(tmp_path / "src", "web", "3.0.0-beta.2"), chart_repo.directory)
    repository_url = chart_repo.url.removesuffix("/charts")
    helm_python.repo_index_generate(chart_repo.directory, base_url=repository_url)
    index = yaml.safe_load((chart_repo.directory / "index.yaml").read_text())
    assert index["entries"]["web"][0]["urls"] == [f"{repository_url}/{archive.name}"]
    with pytest.raises(ChartError, match=r"no version of chart web .* matches '\*'"):
        fetch_chart(ChartRequest("http", repository_url, "web", None), tmp_path / "c", False)
    chart = fetch_chart(
        ChartRequest("http", repository_url, "web", ">=3.0.0-0"), tmp_path / "c", False
    )
    assert _version(chart) == "3.0.0-beta.2"
    assert f"/{archive.name}" in chart_repo.requests


def test_digest_mismatch_is_refused(tmp_path: Path, chart_repo: HttpChartRepository) -> None:
    archive = chart_repo.add(make_chart(tmp_path / "src", "web", "1.0.0"))
    archive.write_bytes(
        package(
            make_chart(
                tmp_path / "other",
                "web",
                "1.0.0",
                templates={
                    "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: swapped}\n"
                },
            ),
            tmp_path / "swapped",
        ).read_bytes()
    )
    with pytest.raises(ChartError, match="digest mismatch") as error:
        fetch_chart(ChartRequest("http", chart_repo.url, "web", "1.0.0"), tmp_path / "c", False)
    assert not isinstance(error.value, ChartUnavailableError)
    assert not list((tmp_path / "c" / "charts").glob("archives/*.tgz"))


def test_offline_uses_the_cache_and_names_what_it_misses(
    tmp_path: Path, chart_repo: HttpChartRepository
) -> None:
    chart_repo.add(make_chart(tmp_path / "src", "web", "1.0.0"))
    request = ChartRequest("http", chart_repo.url, "web", "~1.0")
    with pytest.raises(ChartUnavailableError) as missed:
        fetch_chart(request, tmp_path / "cache", offline=True)
    assert "web" in str(missed.value) and chart_repo.url in str(missed.value)
    assert "~1.0" in str(missed.value) and "--offline" in str(missed.value)
    assert chart_repo.requests == []

    online = fetch_chart(request, tmp_path / "cache", offline=False)
    chart_repo.stop()  # the repository is gone: offline must not need it
    assert fetch_chart(request, tmp_path / "cache", offline=True) == online


def test_unreachable_repository_is_unavailable(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/charts"
    with pytest.raises(ChartUnavailableError, match="cannot reach"):
        fetch_chart(ChartRequest("http", url, "web", None), tmp_path / "cache", offline=False)
    # Remembered for the render cache key for an hour; offline never relies on it.
    request = ChartRequest("http", url, "web", None)
    assert cached_resolution(request, tmp_path / "cache", offline=False) == "unavailable"
    assert cached_resolution(request, tmp_path / "cache", offline=True) is None


def test_damaged_cache_entry_is_rebuilt_not_trusted(
    tmp_path: Path, chart_repo: HttpChartRepository
) -> None:
    chart_repo.add(make_chart(tmp_path / "src", "web", "1.0.0"))
    request = ChartRequest("http", chart_repo.url, "web", "1.0.0")
    chart = fetch_chart(request, tmp_path / "cache", offline=False)
    template = chart / "templates" / "deployment.yaml"
    original = template.read_text()
    template.write_text("kind: Tampered\n")
    assert fetch_chart(request, tmp_path / "cache", offline=True) == chart
    assert template.read_text() == original


def test_oci_tags_are_versions_and_ranges_list_them(
    tmp_path: Path, oci_registry: OciRegistry
) -> None:
    for version in ("0.9.0", "1.1.0", "1.2.0"):
        url = oci_registry.push(make_chart(tmp_path / "src", "api", version), tmp_path / "pkg")
    chart = fetch_chart(ChartRequest("oci", url, "api", "~1.1"), tmp_path / "cache", False)
    assert _version(chart) == "1.1.0"
    newest = fetch_chart(ChartRequest("oci", url, "api", None), tmp_path / "cache", False)
    assert _version(newest) == "1.2.0"
    whole = fetch_chart(ChartRequest("oci", f"{url}/api", "", "0.9.0"), tmp_path / "cache", False)
    assert _version(whole) == "0.9.0"
    with pytest.raises(ChartError, match="does not exist"):
        fetch_chart(ChartRequest("oci", url, "api", "7.0.0"), tmp_path / "cache", False)
    with pytest.raises(ChartError, match=r"no tag .* matches"):
        fetch_chart(ChartRequest("oci", url, "api", "^5"), tmp_path / "cache", False)


def test_oci_offline_hit_after_the_registry_is_gone(
    tmp_path: Path, oci_registry: OciRegistry
) -> None:
    url = oci_registry.push(make_chart(tmp_path / "src", "api", "1.0.0"), tmp_path / "pkg")
    request = ChartRequest("oci", url, "api", "1.0.0")
    chart = fetch_chart(request, tmp_path / "cache", offline=False)
    oci_registry.stop()
    assert fetch_chart(request, tmp_path / "cache", offline=True) == chart
    with pytest.raises(ChartUnavailableError, match=r"chart api version 2\.0\.0 from oci://"):
        fetch_chart(ChartRequest("oci", url, "api", "2.0.0"), tmp_path / "cache", offline=True)


def test_oci_bearer_token_handshake(
    tmp_path: Path, token_registry: tuple[OciRegistry, TokenService]
) -> None:
    registry, tokens = token_registry
    url = registry.push(make_chart(tmp_path / "src", "api", "1.3.0"), tmp_path / "pkg")
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(f"http://{registry.host}/v2/charts/api/tags/list", timeout=5)
    anonymous.value.close()
    assert anonymous.value.code == 401  # the registry really wants a token
    tokens.scopes.clear()
    chart = fetch_chart(ChartRequest("oci", url, "api", ">=1.0"), tmp_path / "cache", False)
    assert _version(chart) == "1.3.0"
    assert tokens.scopes == ["repository:charts/api:pull"]


def test_dependencies_are_built_from_http_oci_and_file_repositories(
    tmp_path: Path, chart_repo: HttpChartRepository, oci_registry: OciRegistry
) -> None:
    chart_repo.add(make_chart(tmp_path / "src", "redis", "17.3.1"))
    oci_url = oci_registry.push(make_chart(tmp_path / "src", "queue", "2.0.0"), tmp_path / "pkg")
    make_chart(tmp_path / "repo", "common", "0.1.0")
    parent = make_chart(
        tmp_path / "repo",
        "shop",
        "1.0.0",
        dependencies=[
            {"name": "redis", "version": "17.x", "repository": chart_repo.url},
            {"name": "redis", "version": "17.x", "repository": chart_repo.url, "alias": "cache"},
            {"name": "queue", "version": "^2", "repository": oci_url, "condition": "queue.on"},
            {
                "name": "common",
                "version": "0.1.0",
                "repository": "file://../../common-0.1.0-src/common",
            },
        ],
    )
    built = fetch_chart(ChartRequest("local", str(parent), "shop", None), tmp_path / "cache", False)
    assert built != parent and not (parent / "charts").exists()  # the repository is untouched
    names = sorted(p.name for p in (built / "charts").iterdir())
    assert names == ["common-0.1.0", "queue-2.0.0", "redis-17.3.1"]
    with helm_python.Chart.load(built) as loaded:
        assert loaded.name == "shop"


def test_local_chart_without_dependencies_is_used_in_place(tmp_path: Path) -> None:
    chart = make_chart(tmp_path / "repo", "plain", "1.0.0")
    assert (
        fetch_chart(ChartRequest("local", str(chart), "plain", None), tmp_path / "c", False)
        == chart
    )


def test_a_dependency_that_cannot_be_resolved_is_an_error(
    tmp_path: Path, chart_repo: HttpChartRepository
) -> None:
    chart_repo.add(make_chart(tmp_path / "src", "redis", "17.3.1"))
    missing_version = make_chart(
        tmp_path / "a",
        "shop",
        "1.0.0",
        dependencies=[{"name": "redis", "version": "^18", "repository": chart_repo.url}],
    )
    with pytest.raises(ChartError, match=r"no version of chart redis .* '\^18'"):
        fetch_chart(
            ChartRequest("local", str(missing_version), "shop", None), tmp_path / "c", False
        )
    no_repository = make_chart(
        tmp_path / "b", "shop", "1.0.0", dependencies=[{"name": "gone", "version": "1"}]
    )
    with pytest.raises(ChartError, match="dependency gone has no repository and is not in charts/"):
        fetch_chart(ChartRequest("local", str(no_repository), "shop", None), tmp_path / "c", False)
    named_repo = make_chart(
        tmp_path / "c",
        "shop",
        "1.0.0",
        dependencies=[{"name": "redis", "version": "1", "repository": "@bitnami"}],
    )
    with pytest.raises(ChartError, match="helm repo"):
        fetch_chart(ChartRequest("local", str(named_repo), "shop", None), tmp_path / "c", False)


def test_packaged_dependency_in_charts_is_kept(
    tmp_path: Path, chart_repo: HttpChartRepository
) -> None:
    sub = make_chart(tmp_path / "src", "redis", "17.3.1")
    parent = make_chart(
        tmp_path / "src",
        "shop",
        "1.0.0",
        dependencies=[
            {"name": "redis", "version": "17.3.1", "repository": "https://unused.invalid"}
        ],
    )
    package(sub, parent / "charts")
    chart_repo.add(parent)
    chart = fetch_chart(ChartRequest("http", chart_repo.url, "shop", None), tmp_path / "c", False)
    # Packaging stores the dependency unpacked; it is kept and never fetched (unused.invalid).
    assert sorted(p.name for p in (chart / "charts").iterdir()) == ["redis"]


def _archive(entries: list[tarfile.TarInfo], payload: bytes = b"x: 1\n") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for entry in entries:
            archive.addfile(entry, io.BytesIO(payload) if entry.isfile() else None)
    return buffer.getvalue()


def _file(name: str, size: int = 5) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    return info


def _link(name: str, target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.SYMTYPE
    info.linkname = target
    return info


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([_file("evil/Chart.yaml"), _file("evil/../../escaped.txt")], "escapes the chart"),
        ([_file("/abs/Chart.yaml")], "escapes the chart"),
        ([_file("evil/Chart.yaml"), _link("evil/templates/x.yaml", "/etc/passwd")], "is a link"),
    ],
)
def test_hostile_chart_archives_are_refused(
    tmp_path: Path, chart_repo: HttpChartRepository, entries: list[tarfile.TarInfo], message: str
) -> None:
    (chart_repo.directory / "charts").mkdir(parents=True)
    (chart_repo.directory / "charts" / "evil-1.0.0.tgz").write_bytes(_archive(entries))
    index = {
        "apiVersion": "v1",
        "entries": {"evil": [{"name": "evil", "version": "1.0.0", "urls": ["evil-1.0.0.tgz"]}]},
    }
    (chart_repo.directory / "charts" / "index.yaml").write_text(yaml.safe_dump(index))
    with pytest.raises(ChartError, match=message):
        fetch_chart(ChartRequest("http", chart_repo.url, "evil", None), tmp_path / "cache", False)
    assert not (tmp_path / "escaped.txt").exists()
    assert not list((tmp_path / "cache").rglob("escaped.txt"))
