"""`helm dependency build` for an unpacked chart: every Chart.yaml dependency into charts/.

A dependency already in charts/ (a directory or an archive whose chart name and version
match) is kept, as Helm keeps packaged dependencies. `condition`, `tags` and `alias` are
Helm's render-time business and are left to the Helm SDK.
"""

from __future__ import annotations

import io
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from validator.guarded import GuardError, read_yaml_text
from validator.render.charts.errors import ChartError
from validator.render.charts.semver import Constraint, ConstraintError, Version
from validator.render.stream import StreamError, load_documents

# (kind, url, chart, version) → unpacked chart directory: fetch_chart, passed in to avoid a cycle.
Fetch = Callable[[str, str, str, str | None], Path]


def read_chart_yaml(chart_dir: Path) -> dict[str, Any]:
    try:
        documents = load_documents(read_yaml_text(chart_dir / "Chart.yaml", display="Chart.yaml"))
    except (GuardError, StreamError) as error:
        raise ChartError(f"{chart_dir.name}: cannot read Chart.yaml ({error})") from None
    metadata = documents[0] if documents else None
    if not isinstance(metadata, dict) or not metadata.get("name"):
        raise ChartError(f"{chart_dir.name}: Chart.yaml has no chart name")
    return metadata


def missing_dependencies(chart_dir: Path) -> list[dict[str, Any]]:
    metadata = read_chart_yaml(chart_dir)
    wanted = metadata.get("dependencies") or []
    if not isinstance(wanted, list):
        raise ChartError(f"chart {metadata['name']}: dependencies must be a list")
    present = _present(chart_dir / "charts")
    missing = []
    for dependency in wanted:
        if not isinstance(dependency, dict) or not dependency.get("name"):
            raise ChartError(f"chart {metadata['name']}: a dependency has no name")
        if not _satisfied(dependency, present, metadata["name"]):
            missing.append(dependency)
    return missing


def build_dependencies(chart_dir: Path, source_dir: Path | None, fetch: Fetch) -> None:
    """Fetch every missing dependency into chart_dir/charts; `source_dir` is where a local
    chart lives, against which `file://` repositories resolve (None: a packaged chart)."""
    name = read_chart_yaml(chart_dir)["name"]
    for dependency in missing_dependencies(chart_dir):
        dep_name, version = str(dependency["name"]), dependency.get("version")
        repository = str(dependency.get("repository") or "")
        kind, url = _source(name, dep_name, repository, source_dir)
        fetched = fetch(kind, url, dep_name, str(version) if version is not None else None)
        target = chart_dir / "charts" / f"{dep_name}-{read_chart_yaml(fetched).get('version')}"
        if not target.exists():
            shutil.copytree(fetched, target, symlinks=True)


def _source(
    chart: str, dependency: str, repository: str, source_dir: Path | None
) -> tuple[str, str]:
    if repository.startswith(("http://", "https://")):
        return "http", repository
    if repository.startswith("oci://"):
        return "oci", repository
    if repository.startswith("file://"):
        if source_dir is None:
            raise ChartError(
                f"chart {chart}: dependency {dependency} uses {repository}, which a packaged "
                "chart cannot reach, and it is not in charts/"
            )
        return "local", str((source_dir / repository.removeprefix("file://")).resolve())
    if not repository:
        raise ChartError(
            f"chart {chart}: dependency {dependency} has no repository and is not in charts/"
        )
    raise ChartError(
        f"chart {chart}: dependency {dependency} names repository '{repository}', a `helm repo "
        "add` name; use its URL"
    )


def _satisfied(dependency: dict[str, Any], present: list[tuple[str, str]], chart: str) -> bool:
    try:
        constraint = Constraint.parse(str(dependency.get("version") or "*"))
    except ConstraintError as error:
        raise ChartError(f"chart {chart}: dependency {dependency['name']}: {error}") from None
    for name, version in present:
        parsed = Version.parse(version)
        if name == dependency["name"] and parsed is not None and constraint.allows(parsed):
            return True
    return False


def _present(charts: Path) -> list[tuple[str, str]]:
    """(name, version) of every chart already in charts/: directories and .tgz archives."""
    found: list[tuple[str, str]] = []
    if not charts.is_dir():
        return found
    for entry in sorted(charts.iterdir()):
        metadata: dict[str, Any] | None = None
        if entry.is_dir() and (entry / "Chart.yaml").is_file():
            metadata = _quiet(entry)
        elif entry.is_file() and entry.name.endswith(".tgz"):
            metadata = _archive_metadata(entry)
        if metadata is not None:
            found.append((str(metadata.get("name")), str(metadata.get("version"))))
    return found


def _quiet(chart_dir: Path) -> dict[str, Any] | None:
    try:
        return read_chart_yaml(chart_dir)
    except ChartError:
        return None


def _archive_metadata(path: Path) -> dict[str, Any] | None:
    try:
        with tarfile.open(fileobj=io.BytesIO(path.read_bytes()), mode="r:gz") as archive:
            for member in archive:
                parts = member.name.split("/")
                if len(parts) == 2 and parts[1] == "Chart.yaml" and member.isfile():
                    handle = archive.extractfile(member)
                    text = handle.read(1024 * 1024).decode("utf-8") if handle else ""
                    documents = load_documents(text)
                    return documents[0] if documents and isinstance(documents[0], dict) else None
    except (OSError, tarfile.TarError, EOFError, UnicodeDecodeError, StreamError):
        return None
    return None
