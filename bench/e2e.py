"""End-to-end rows: `gitops-validator validate` as a user runs it, cold and warm, next to a bare
`kustomize build` of the same overlays; start-up; the pre-commit path on the demo."""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from bench import corpus
from bench.measure import Run, Series, repeat, run
from validator.render.tools import find_kustomize

BIN = str(Path(sys.executable).with_name("gitops-validator"))
# The cold run is the same CLI with kustomize's 600 s timeout raised: one kustomization of
# 10,000 objects takes minutes (kustomize is superlinear), more on a loaded machine.
COLD = [
    sys.executable,
    "-c",
    "import sys, validator.render.kustomize as k; k.TIMEOUT_SECONDS = 7200; "
    "from validator.cli.main import main; raise SystemExit(main(sys.argv[1:]))",
]
DEMO = Path(__file__).resolve().parent.parent  # this repository validates itself


@dataclass(frozen=True, slots=True)
class EndToEnd:
    label: str
    objects: int
    findings: int | None
    cold: Run
    warm: Series | None  # nothing changed: the findings cache replays every environment
    bare: Series | None  # bare `kustomize build` of every overlay, one after the other
    note: str = ""
    rechecked: Series | None = None  # render cache hit, findings cache emptied: checks run


def child_env(cache: Path) -> dict[str, str]:
    return os.environ | {"GITOPS_VALIDATOR_CACHE_DIR": str(cache), "NO_COLOR": "1"}


def _findings(report: Path) -> int | None:
    """Findings of a run that rendered its objects (None: no report, or a render failed)."""
    try:
        document = json.loads(report.read_text())
        if any(f["ruleId"] == "render-failed" for f in document["findings"]):
            return None
        return int(sum(document["summary"]["findings"].values()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def validate_repo(
    label: str,
    repo: Path,
    scratch: Path,
    objects: int,
    repeats: int,
    timeout: float,
    helm: bool = False,
) -> EndToEnd:
    """One cold run (empty render cache, kustomize runs) and `repeats` warm runs."""
    cache, report = scratch / f"cache-{label}", scratch / f"report-{label}.json"
    arguments = ["--repo", str(repo), "validate", "--format", "json", "--output", str(report)]
    command = [BIN, *arguments]
    env = child_env(cache)
    cold = run([*COLD, *arguments], env=env, timeout=timeout)
    findings = _findings(report)
    if cold.code not in (0, 1) or findings is None:
        note = f"cold run failed (exit {cold.code}): {cold.stderr_tail}"[:160]
        return EndToEnd(label, objects, None, cold, None, None, note)
    warm = repeat(command, repeats, env=env, timeout=timeout)
    forget = functools.partial(shutil.rmtree, cache / "findings", ignore_errors=True)
    rechecked = repeat(command, repeats, before=forget, env=env, timeout=timeout)
    if helm:
        note = "a Helm chart of the same objects: one kustomization of them takes hours"
        return EndToEnd(label, objects, findings, cold, warm, None, note, rechecked)
    bare = bare_kustomize(repo, timeout)
    return EndToEnd(label, objects, findings, cold, warm, bare, rechecked=rechecked)


def bare_kustomize(repo: Path, timeout: float) -> Series | None:
    """The same overlays through the same kustomize, without our wrapper or anything else."""
    tool = find_kustomize()
    overlays = sorted(p for p in (repo / "overlays").iterdir() if p.is_dir())
    script = "".join(f"{' '.join(tool.command)} {o} > /dev/null || exit 1\n" for o in overlays)
    series = repeat(["sh", "-c", script], 1, timeout=timeout)
    return series if series.ok and series.last.code == 0 else None


def sized(
    sizes: list[int], scratch: Path, repeats: int, timeout: float, helm: bool = False
) -> list[EndToEnd]:
    rows = []
    for size in sizes:
        repo = scratch / f"repo-{size}"
        corpus.write_repo(repo, envs=1, objects=size, mix="shop", profile="all", helm=helm)
        label = f"{size} (Helm)" if helm else f"{size}"
        rows.append(validate_repo(label, repo, scratch, size + 1, repeats, timeout, helm))
        shutil.rmtree(repo, ignore_errors=True)
    return rows


def many_envs(envs: int, objects: int, scratch: Path, repeats: int, timeout: float) -> EndToEnd:
    repo = scratch / f"repo-{envs}x{objects}"
    corpus.write_repo(repo, envs=envs, objects=objects, mix="shop", profile="all")
    label = f"{envs}x{objects}"
    return validate_repo(label, repo, scratch, envs * (objects + 1), repeats, timeout)


def startup(repeats: int) -> list[tuple[str, Series]]:
    env = child_env(Path(os.devnull))
    return [
        ("--version", repeat([BIN, "--version"], repeats, env=env, timeout=60)),
        ("envs (the demo)", repeat([BIN, "--repo", str(DEMO), "envs"], repeats, env=env)),
    ]


def pre_commit(scratch: Path, repeats: int) -> tuple[str, Series] | None:
    """The hook's command on this repository's demo, a base file staged, render cache warm."""
    cache = scratch / "cache-demo"
    staged = "overlays/base/deployment.yaml"
    command = [BIN, "-q", "--repo", str(DEMO), "validate", "--files", staged]
    first = run(command, env=child_env(cache), cwd=DEMO)
    if first.code not in (0, 1):
        return None
    return (f"validate --files {staged}", repeat(command, repeats, env=child_env(cache), cwd=DEMO))
