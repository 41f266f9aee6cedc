"""Argo CD Applications and ApplicationSets whose source is this repository.

An Application's source is "this repository" when its repoURL is one of the repository's git
remotes (https, ssh and scp forms, `.git` and case of the host ignored). A repository with no
remote at all takes every git repoURL as its own (a local clone, a test fixture); a path
missing from it is then a render-failed finding of that Application.
Each destination cluster (destination.name, else destination.server) is one environment; each
Application targeting it is a unit.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validator.guarded import GuardError, read_repo_yaml, yaml_problem
from validator.render.argo_appsets import expand
from validator.render.stream import StreamError, load_documents

ARGO_API = "argoproj.io/"
MAX_FILE_BYTES = 4 * 1024 * 1024
IN_CLUSTER = "https://kubernetes.default.svc"
_SKIPPED_DIRS = {".git", ".github", "node_modules", ".venv"}


@dataclass(frozen=True)
class ArgoApplication:
    body: Mapping[str, Any]  # the Application (generated ones filled from their template)
    file: str  # repository-relative file it was found in (the ApplicationSet for generated)
    line: int  # line of its document in that file

    @property
    def name(self) -> str:
        return str((self.body.get("metadata") or {}).get("name") or "")

    @property
    def namespace(self) -> str:
        return str((self.body.get("metadata") or {}).get("namespace") or "argocd")

    @property
    def unit(self) -> str:
        return f"Application/{self.namespace}/{self.name}"

    @property
    def cluster(self) -> str:
        return destination_cluster(self.body)


@dataclass
class ArgoDiscovery:
    applications: list[ArgoApplication] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def clusters(self) -> dict[str, list[ArgoApplication]]:
        grouped: dict[str, list[ArgoApplication]] = {}
        for app in self.applications:
            grouped.setdefault(app.cluster, []).append(app)
        return dict(sorted(grouped.items()))


def destination_cluster(body: Mapping[str, Any]) -> str:
    destination = (body.get("spec") or {}).get("destination") or {}
    if not isinstance(destination, Mapping):
        return "in-cluster"
    name = destination.get("name")
    server = str(destination.get("server") or "")
    if name:
        return str(name)
    return "in-cluster" if server.rstrip("/") in ("", IN_CLUSTER) else server


def discover_argo(repo_root: Path) -> ArgoDiscovery:
    root = repo_root.resolve()
    is_ours = repository_matcher(root)
    found = ArgoDiscovery()
    for file, line, body in _argo_documents(root):
        kind = body.get("kind")
        if kind == "Application":
            app = ArgoApplication(body, file, line)
            if _sources_ours(body, is_ours):
                found.applications.append(app)
            else:
                found.notes.append(
                    f"{file}: Application {app.name} has no source in this repository"
                )
        elif kind == "ApplicationSet":
            generated, notes = expand(body, root, is_ours)
            name = (body.get("metadata") or {}).get("name")
            found.notes += [f"{file}: ApplicationSet {name}: {note}" for note in notes]
            found.applications += [
                ArgoApplication(app, file, line) for app in generated if _sources_ours(app, is_ours)
            ]
    return found


def _sources_ours(body: Mapping[str, Any], is_ours: Callable[[str], bool]) -> bool:
    """Renderable from here: a git source in this repository, or a chart from a Helm/OCI
    repository (the Application itself lives here); only foreign git sources are not."""
    return any(
        bool(s.get("chart")) or is_ours(str(s.get("repoURL", "")))
        for s in application_sources(body)
    )


def application_sources(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """`sources` when present (it overrides `source`), else `[source]`."""
    spec = body.get("spec") or {}
    sources = spec.get("sources") if isinstance(spec, Mapping) else None
    if isinstance(sources, list) and sources:
        return [s for s in sources if isinstance(s, Mapping)]
    source = spec.get("source") if isinstance(spec, Mapping) else None
    return [source] if isinstance(source, Mapping) else []


def repository_matcher(root: Path) -> Callable[[str], bool]:
    remotes = {normalize_repo_url(url) for url in git_remotes(root)}
    if remotes:
        return lambda url: normalize_repo_url(url) in remotes
    # No remote: a local clone or fixture. Any git URL may stand for it; the source's path
    # must then exist here, which the renderer checks and reports.
    return lambda url: bool(url) and not url.startswith("oci://") and ("://" in url or "@" in url)


def display_url(url: str) -> str:
    """A URL fit for a message: no user info (a token there is never repeated), no query."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url.split("?", 1)[0]
    host, slash, path = rest.partition("/")
    return f"{scheme}://{host.rsplit('@', 1)[-1]}{slash}{path.split('?', 1)[0]}"


def normalize_repo_url(url: str) -> str:
    """https://github.com/Org/Repo.git, git@github.com:Org/Repo, ssh://git@github.com/Org/Repo
    → github.com/org/repo (GitHub-style hosts are case-insensitive)."""
    text = url.strip()
    scp = re.match(r"^[\w.-]+@([^:/]+):(.+)$", text)
    if scp:
        host, path = scp.groups()
    else:
        text = re.sub(r"^[a-z+]+://", "", text)
        text = text.rsplit("@", 1)[-1] if "@" in text.split("/", 1)[0] else text
        host, _, path = text.partition("/")
        host = host.split(":", 1)[0] if host.endswith((":22", ":443")) else host
    path = path.strip("/").removesuffix(".git")
    return f"{host.lower()}/{path.lower()}"


def git_remotes(root: Path) -> list[str]:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "config", "--get-regexp", r"^remote\..*\.url$"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.split(None, 1)[1] for line in done.stdout.splitlines() if " " in line]


def _argo_documents(root: Path) -> list[tuple[str, int, Mapping[str, Any]]]:
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if _SKIPPED_DIRS & set(relative.parts) or path.suffix not in (".yaml", ".yml"):
            continue
        text = _argo_text(root, path)
        if text is None or ARGO_API not in text:
            continue
        problem = yaml_problem(text)
        if problem is not None:  # an alias bomb or deep nesting: refused before parsing
            raise GuardError(relative.as_posix(), *problem)
        try:
            documents = load_documents(text)
        except StreamError:
            continue  # the yaml stage reports unparseable files
        lines = _document_lines(text)
        for position, body in enumerate(documents):
            if isinstance(body, Mapping) and str(body.get("apiVersion", "")).startswith(ARGO_API):
                line = lines[position] if position < len(lines) else 1
                found.append((relative.as_posix(), line, body))
    return found


def _argo_text(root: Path, path: Path) -> str | None:
    """The text of a YAML file that may hold Argo CD objects; None for a directory, a link to a
    regular file (inside the repository it is read as itself; one leading out is never read)
    or a large file that does not start like one (vendored CRD bundles). A FIFO, a link to a
    device or a file that is not UTF-8 is refused (GuardError, exit 3): no repository holds
    one by accident."""
    if path.is_dir() or (path.is_symlink() and path.resolve().is_file()):
        return None
    try:
        return read_repo_yaml(root, path, limit=MAX_FILE_BYTES, checked=False)
    except GuardError as error:
        if not error.reason.startswith("larger than"):
            raise
        with path.open("rb") as stream:
            head = stream.read(1 << 16)
        if ARGO_API.encode() in head:
            raise
        return None


def _document_lines(text: str) -> list[int]:
    """First line of each non-empty document of a stream (1-based)."""
    starts: list[int] = []
    current: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("---"):
            current = None
            continue
        if current is None and line.strip() and not line.lstrip().startswith("#"):
            current = number
            starts.append(number)
    return starts
