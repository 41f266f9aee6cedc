"""Every file a kustomization reads, found by walking its tree without running kustomize.

The set is the render cache key and the map from files to environments; a tree that cannot be
walked completely (remote bases, unparseable files) is simply not cacheable.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validator.guarded import GuardError, read_text
from validator.render.stream import StreamError, load_documents

_UNFOLLOWED = "\0unfollowed"
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass
class KustomizeInputs:
    files: set[Path] = field(default_factory=set)
    uses_helm: bool = False
    complete: bool = True  # False when something could not be followed (remote, unparseable)
    # Values generators put into ConfigMaps and Secrets: never repeated in an error message.
    generated_values: set[str] = field(default_factory=set)


KUSTOMIZATION_LIMIT = 8 << 20


def kustomization_file(directory: Path) -> Path | None:
    return next((directory / n for n in KUSTOMIZATION_NAMES if (directory / n).is_file()), None)


def read_kustomization(path: Path) -> dict[str, Any] | None:
    try:
        # Guarded: a FIFO or device named kustomization.yaml must not hang the planner.
        documents = load_documents(read_text(path, limit=KUSTOMIZATION_LIMIT))
    except (GuardError, StreamError):
        return None
    return documents[0] if len(documents) == 1 and isinstance(documents[0], dict) else None


def collect_inputs(directory: Path) -> KustomizeInputs:
    if not directory.is_dir():
        return KustomizeInputs(complete=False)  # the render reports the missing overlay
    inputs = KustomizeInputs()
    _walk(directory.resolve(), inputs, seen=set())
    return inputs


def _walk(directory: Path, inputs: KustomizeInputs, seen: set[Path]) -> None:
    if directory in seen:
        return
    seen.add(directory)
    path = kustomization_file(directory)
    if path is None:
        inputs.files.update(p.resolve() for p in directory.iterdir() if p.is_file())
        return
    inputs.files.add(path)
    kustomization = read_kustomization(path)
    if kustomization is None:
        inputs.complete = False
        return
    for reference in _references(kustomization):
        if (
            reference == _UNFOLLOWED
            or "://" in reference
            or reference.startswith(("github.com/", "git@"))
        ):
            inputs.complete = False
            continue
        target = (directory / reference).resolve()
        if target.is_dir():
            _walk(target, inputs, seen)
        else:
            inputs.files.add(target)
    _add_helm_charts(directory, kustomization, inputs)
    _add_generated_values(directory, kustomization, inputs)


def _references(kustomization: dict[str, Any]) -> Iterator[str]:
    for key in (
        "resources",
        "bases",
        "components",
        "crds",
        "configurations",
        "patchesStrategicMerge",
    ):
        yield from _paths(kustomization.get(key))
    for key in ("transformers", "generators", "validators"):
        yield from _paths(kustomization.get(key))
        if kustomization.get(key):
            # Their configs name further files (a PatchTransformer's `path:`) that this walk
            # does not follow, so such a tree is never served from the cache.
            yield _UNFOLLOWED
    for key in ("patches", "patchesJson6902", "replacements"):
        yield from _entry_paths(kustomization.get(key), "path")
    for key in ("configMapGenerator", "secretGenerator"):
        for generator in _dicts(kustomization.get(key)):
            for entry in _paths(generator.get("files")):
                yield entry.split("=", 1)[-1]
            yield from _paths(generator.get("envs"))
            yield from _paths([generator.get("env")])
    openapi = kustomization.get("openapi")
    if isinstance(openapi, dict):
        yield from _paths([openapi.get("path")])


def _add_helm_charts(
    directory: Path, kustomization: dict[str, Any], inputs: KustomizeInputs
) -> None:
    charts = list(_dicts(kustomization.get("helmCharts")))
    if not charts:
        return
    inputs.uses_helm = True
    globals_ = kustomization.get("helmGlobals")
    chart_home = globals_.get("chartHome", "charts") if isinstance(globals_, dict) else "charts"
    for chart in charts:
        if chart.get("repo"):
            inputs.complete = False  # a chart pulled from a repository cannot be hashed offline
        chart_dir = (directory / str(chart_home) / str(chart.get("name", ""))).resolve()
        if chart_dir.is_dir():
            inputs.files.update(p.resolve() for p in chart_dir.rglob("*") if p.is_file())
        for values in _paths(
            [chart.get("valuesFile"), *(chart.get("additionalValuesFiles") or [])]
        ):
            inputs.files.add((directory / values).resolve())


def _add_generated_values(
    directory: Path, kustomization: dict[str, Any], inputs: KustomizeInputs
) -> None:
    for key in ("configMapGenerator", "secretGenerator"):
        for generator in _dicts(kustomization.get(key)):
            for literal in _paths(generator.get("literals")):
                inputs.generated_values.update({literal, literal.partition("=")[2]})
            sources = [e.split("=", 1)[-1] for e in _paths(generator.get("files"))]
            sources += [*_paths(generator.get("envs")), *_paths([generator.get("env")])]
            for source in sources:
                inputs.generated_values.update(_lines_of(directory / source))


GENERATOR_FILE_LIMIT = 1 << 20


def _lines_of(path: Path) -> set[str]:
    try:  # guarded: a FIFO or a link to /dev/zero as an env file must not hang the run
        text = read_text(path, limit=GENERATOR_FILE_LIMIT)
    except GuardError:
        return set()  # the source check refuses it before kustomize could read it
    lines = {line.strip() for line in text.splitlines() if line.strip()}
    return lines | {line.partition("=")[2] for line in lines if "=" in line}


def _paths(value: Any) -> Iterator[str]:
    """Strings that name files; inline YAML documents (containing a newline) are skipped."""
    items: Iterable[Any] = value if isinstance(value, list) else []
    for item in items:
        if isinstance(item, str) and item and "\n" not in item:
            yield item


def _entry_paths(value: Any, key: str) -> Iterator[str]:
    for entry in _dicts(value):
        yield from _paths([entry.get(key)])


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))
