"""How kustomize's time grows with the objects of one kustomization, per kustomize binary, and
what our wrapper kustomization (origin annotations) adds to one build."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from bench import corpus
from bench.measure import Run, run
from validator.render.tools import PINNED_KUSTOMIZE, built_tool


@dataclass(frozen=True, slots=True)
class Point:
    tool: str
    objects: int
    bare: Run
    wrapped: Run | None  # through a wrapper with buildMetadata: [originAnnotations]


def tools() -> list[tuple[str, list[str]]]:
    found = []
    built = built_tool("kustomize", PINNED_KUSTOMIZE)
    if built:
        found.append((f"kustomize {PINNED_KUSTOMIZE} (project-built)", [str(built), "build"]))
    kubectl = shutil.which("kubectl")
    if kubectl:
        found.append(("kubectl kustomize (bundled)", [kubectl, "kustomize"]))
    standalone = shutil.which("kustomize")
    if standalone:
        found.append(("kustomize on PATH", [standalone, "build"]))
    return found


def _wrapper(scratch: Path, overlay: Path) -> Path:
    wrapper = scratch / "wrapper"
    wrapper.mkdir(exist_ok=True)
    relative = Path("..") / overlay.relative_to(scratch)
    (wrapper / "kustomization.yaml").write_text(
        f"resources:\n- {json.dumps(str(relative))}\nbuildMetadata: [originAnnotations]\n"
    )
    return wrapper


def curve(sizes: list[int], scratch: Path, timeout: float) -> list[Point]:
    points = []
    for size in sizes:
        repo = scratch / f"curve-{size}"
        corpus.write_repo(repo, envs=1, objects=size, mix="shop")
        overlay = repo / "overlays" / "env0"
        wrapper = _wrapper(repo, overlay)
        for label, command in tools():
            bare = run([*command, str(overlay)], timeout=timeout)
            wrapped = run([*command, str(wrapper)], timeout=timeout) if bare.code == 0 else None
            points.append(Point(label, size + 1, bare, wrapped))
        shutil.rmtree(repo, ignore_errors=True)
    return points
