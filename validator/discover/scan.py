"""One walk over the repository's YAML files, parsed lazily and at most once.

Discovery reads source files as they are, without rendering anything: it has to be fast
enough for `envs` and must never fail on a file it cannot parse (that file is the
render's or the YAML check's finding, not discovery's).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

from validator.guarded import GuardError, read_repo_yaml, yaml_problem
from validator.render.inputs import KUSTOMIZATION_NAMES
from validator.render.stream import StreamError, load_documents

MAX_FILE_BYTES = 1 << 20
_SUFFIXES = (".yaml", ".yml")
# Directories no controller reads manifests from: VCS data, dependencies, caches.
_SKIPPED_DIRS = frozenset({"node_modules", "vendor", "__pycache__", "venv"})


class RepoScan:
    def __init__(self, repo_root: Path) -> None:
        self.root = repo_root.resolve()
        self._documents: dict[str, list[Any]] = {}
        self._texts: dict[str, str] = {}
        self._refused: dict[str, GuardError] = {}

    @cached_property
    def yaml_files(self) -> tuple[str, ...]:
        """Repository-relative YAML files, sorted; hidden directories and chart templates out."""
        found: list[str] = []
        for directory, dirs, files in os.walk(self.root):
            current = Path(directory)
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS)
            if current.name == "templates" and (current.parent / "Chart.yaml").is_file():
                dirs[:] = []  # Helm templates are not YAML until rendered
                continue
            found.extend(
                (current / name).relative_to(self.root).as_posix()
                for name in files
                if name.endswith(_SUFFIXES) or name == "Kustomization"
            )
        return tuple(sorted(found))

    @cached_property
    def kustomization_files(self) -> tuple[str, ...]:
        return tuple(f for f in self.yaml_files if f.rsplit("/", 1)[-1] in KUSTOMIZATION_NAMES)

    def text(self, relative: str) -> str:
        """The file's text; "" for a link to a regular file and for a file the guard refuses
        (remembered: `documents` raises it)."""
        if relative not in self._texts:
            path = self.root / relative
            self._texts[relative] = ""
            try:
                # A link to a regular file is not followed: inside the repository that file is
                # read as itself, one leading out of it is the render's finding. Anything else
                # is guarded: a FIFO or a link to a device is refused, never read.
                if not (path.is_symlink() and path.resolve().is_file()):
                    self._texts[relative] = read_repo_yaml(
                        self.root, path, limit=MAX_FILE_BYTES, checked=False
                    )
            except GuardError as error:
                self._refused[relative] = error
            except OSError:
                pass
        return self._texts[relative]

    def documents(self, relative: str) -> list[Any]:
        """The file's documents; [] when it does not parse (the render reports that). A file
        that decides what is validated and that the guard refuses (FIFO, /dev/zero link, too
        large, not UTF-8, alias bomb, deep nesting) is GuardError (exit 3), never dropped."""
        if relative not in self._documents:
            text = self.text(relative)
            if relative in self._refused:
                raise self._refused[relative]
            problem = yaml_problem(text)
            if problem is not None:
                raise GuardError(relative, *problem)
            try:
                self._documents[relative] = load_documents(text)
            except StreamError:
                self._documents[relative] = []
        return self._documents[relative]

    def files_mentioning(self, marker: str) -> Iterator[str]:
        """YAML files whose text contains `marker` (cheap: most files are never parsed)."""
        return (f for f in self.yaml_files if marker in self.text(f))
