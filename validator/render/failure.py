"""Render failures as people read them: stable text, and the file and line the error names.

kustomize and Helm are Go programs: their errors carry Go-escaped quotes (`\\"`), pointer values
(`&{0xc0001b00e0 0xc000356000}`, different on every run) and paths of our temporary wrapper.
None of that helps a reader, and all of it would change a finding's fingerprint between runs.
"""

from __future__ import annotations

import posixpath
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from validator.model import SourceLocation

_POINTER_STRUCT = re.compile(r"\s*&\{0x[0-9a-f]+(?:\s+0x[0-9a-f]+)*\}")
_POINTER = re.compile(r"\b0x[0-9a-f]{8,}\b")
_PYTHON_WARNING = re.compile(r"^[^:]+:\d+: [A-Z]\w*Warning: ")
_TEMP_ENTRY = re.compile(r"(?:gitops-validator-|tmp)[A-Za-z0-9_]{6,}")
# "…/templates/deploy.yaml:12:" (Helm template errors), "yaml: line 5: … in File: base/x.yaml"
_FILE_LINE = re.compile(r"([\w./-]+\.(?:ya?ml|tpl|json)):(\d+)")
_YAML_LINE_IN_FILE = re.compile(r"yaml: line (\d+):.*?\bin File: ([\w./-]+)")
_QUOTED = re.compile(r"'([^'\s]+)'")
_ENTRY = re.compile(r"""^\s*-\s*(?:path:\s*)?["']?([^"'#\s]+)["']?\s*(?:#.*)?$""")
_KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def is_tool_warning(line: str) -> bool:
    """A Python warning line (`<frozen runpy>:128: RuntimeWarning: …`) on a tool's stderr."""
    return bool(_PYTHON_WARNING.match(line.strip()))


def clean_message(message: str) -> str:
    """Go quoting, pointers and temporary directory names taken out; the rest kept."""
    text = message.replace('\\"', '"')
    text = _POINTER_STRUCT.sub("", text)
    text = _POINTER.sub("…", text)
    temp = tempfile.gettempdir().rstrip("/")
    text = re.sub(re.escape(temp) + r"/[^\s'\"]*", _temp_path, text)
    return text


def _temp_path(match: re.Match[str]) -> str:
    """`/tmp/gitops-validator-x1y2z3/chart/values.yaml` → `<temp>/chart/values.yaml`."""
    parts = match.group(0).split("/")[2:]
    return "/".join(["<temp>", *(p for p in parts if not _TEMP_ENTRY.fullmatch(p))])


def locate_failure(
    message: str, repo_root: Path, chart: str | None = None
) -> SourceLocation | None:
    """The repository file and line the error is about, when it names one (`chart`: the
    environment's chart directory, for Helm's chart-relative template names)."""
    found = _YAML_LINE_IN_FILE.search(message)
    if found and _in_repo(repo_root, found.group(2)):
        return SourceLocation(found.group(2), int(found.group(1)))
    for match in _FILE_LINE.finditer(message):
        file = _repo_file(repo_root, match.group(1), chart)
        if file:
            return SourceLocation(file, int(match.group(2)))
    return _missing_entry(message, repo_root)


def _missing_entry(message: str, repo_root: Path) -> SourceLocation | None:
    """A resource, base or patch that does not exist: the line of its kustomization entry."""
    named = [token for token in _QUOTED.findall(message) if not token.startswith("<")]
    targets = {posixpath.normpath(token) for token in named if "/" in token}
    entries = {token for token in named if not token.startswith("/")}
    for kustomization in _kustomizations(repo_root, targets):
        directory = posixpath.dirname(kustomization)
        lines = (repo_root / kustomization).read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(lines.splitlines(), start=1):
            entry = _ENTRY.match(line)
            if not entry:
                continue
            value = entry.group(1)
            if posixpath.normpath(posixpath.join(directory, value)) in targets:
                return SourceLocation(kustomization, number)
            if value in entries and not targets:
                return SourceLocation(kustomization, number)
    return None


def _kustomizations(repo_root: Path, targets: set[str]) -> Iterator[str]:
    """Kustomization files in the directories of the named paths, nearest first."""
    seen: set[str] = set()
    for target in sorted(targets):
        directory = posixpath.dirname(target)
        while directory not in seen:
            seen.add(directory)
            for name in _KUSTOMIZATION_NAMES:
                candidate = posixpath.join(directory, name) if directory else name
                if _in_repo(repo_root, candidate) and (repo_root / candidate).is_file():
                    yield candidate
            if not directory:
                break
            directory = posixpath.dirname(directory)


def _repo_file(repo_root: Path, named: str, chart: str | None) -> str | None:
    """`named` as a repository-relative file: as written, or (Helm names templates
    `<chart name>/templates/x.yaml`) inside the environment's chart directory."""
    if _in_repo(repo_root, named) and (repo_root / named).is_file():
        return posixpath.normpath(named)
    head, _, tail = named.partition("/")
    if chart and tail and head == posixpath.basename(chart.rstrip("/")):
        candidate = posixpath.join(chart, tail)
        if _in_repo(repo_root, candidate) and (repo_root / candidate).is_file():
            return posixpath.normpath(candidate)
    return None


def _in_repo(repo_root: Path, relative: str) -> bool:
    if relative.startswith("/") or ".." in relative.split("/"):
        return False
    return (repo_root / relative).resolve().is_relative_to(repo_root.resolve())
