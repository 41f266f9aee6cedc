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

from validator.guarded import GuardError, read_text
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
        if relative not in self._texts:
            path = self.root / relative
            try:
                if path.is_symlink():
                    raise OSError
                # Guarded: a FIFO or device among the YAML files must not hang discovery.
                self._texts[relative] = read_text(path, limit=MAX_FILE_BYTES)
            except (OSError, GuardError):
                self._texts[relative] = ""
        return self._texts[relative]

    def documents(self, relative: str) -> list[Any]:
        """The file's documents; [] when it cannot be read or parsed."""
        if relative not in self._documents:
            try:
                self._documents[relative] = load_documents(self.text(relative))
            except StreamError:
                self._documents[relative] = []
        return self._documents[relative]

    def files_mentioning(self, marker: str) -> Iterator[str]:
        """YAML files whose text contains `marker` (cheap: most files are never parsed)."""
        return (f for f in self.yaml_files if marker in self.text(f))
