"""`validate --watch`: re-validate the environments a saved file affects, until interrupted.

Polls the modification times of every file the environments read (the render recorded them)
and of the configuration; polling needs no platform file-event API and, with the render cache,
a re-validation of one environment is quick. Bounded by `stop` (tests) or Ctrl-C (people).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from validator.outcome import ValidationReport

Validate = Callable[[tuple[str, ...]], ValidationReport]  # environments ("" = all) → report
Show = Callable[[ValidationReport], None]


def watch(
    repo: Path,
    validate: Validate,
    show: Show,
    *,
    extra_files: Iterable[Path] = (),
    stop: threading.Event | None = None,
    interval: float = 0.5,
) -> None:
    stop = stop or threading.Event()
    report = validate(())
    show(report)
    inputs = _inputs(report)
    seen = _stamps(repo, _all_files(inputs), extra_files)
    while not stop.wait(interval):
        now = _stamps(repo, _all_files(inputs), extra_files)
        changed = {file for file in now.keys() | seen.keys() if now.get(file) != seen.get(file)}
        seen = now
        if not changed:
            continue
        affected = _affected(inputs, changed, extra_files, repo)
        report = validate(affected)
        show(report)
        for env in report.environments:
            inputs[env.name] = env.input_files


def _inputs(report: ValidationReport) -> dict[str, frozenset[str]]:
    return {env.name: env.input_files for env in report.environments}


def _all_files(inputs: Mapping[str, frozenset[str]]) -> set[str]:
    return {file for files in inputs.values() for file in files}


def _affected(
    inputs: Mapping[str, frozenset[str]],
    changed: set[str],
    extra_files: Iterable[Path],
    repo: Path,
) -> tuple[str, ...]:
    """The environments that read a changed file; all of them when the configuration changed."""
    extras = {_key(repo, path) for path in extra_files}
    if changed & extras:
        return ()
    return tuple(name for name, files in inputs.items() if files & changed)


def _stamps(
    repo: Path, files: Iterable[str], extra_files: Iterable[Path]
) -> dict[str, tuple[int, int]]:
    stamps = {}
    for file in [*(repo / f for f in files), *extra_files]:
        try:
            stat = file.stat()
            stamps[_key(repo, file)] = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamps[_key(repo, file)] = (-1, -1)  # deleted: a change too
    return stamps


def _key(repo: Path, path: Path) -> str:
    return path.relative_to(repo).as_posix() if path.is_relative_to(repo) else str(path)
