"""The one guarded way to read a YAML or JSON file the tool did not write itself.

Every such file comes from the repository under validation (or from a cache or bundle someone
else could have written), so it is hostile until checked: it must be a regular file (not a FIFO
or /dev/zero, which would hang or exhaust memory), not larger than a limit, UTF-8, and YAML is
scanned event by event — without building anything — for nesting depth and alias expansion
before a real parser sees it. Failures name the file and the line.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from validator.model import ConfigError

MAX_BYTES = 8 << 20
MAX_DEPTH = 100
MAX_EXPANDED_NODES = 1_000_000


class GuardError(ConfigError):
    """A file refused before parsing; the message is `file:line: reason` (exit 3)."""

    def __init__(self, where: str, line: int, reason: str) -> None:
        super().__init__(f"{where}:{line}: {reason}")
        self.where, self.line, self.reason = where, line, reason


def read_text(path: Path, *, limit: int = MAX_BYTES, display: str | None = None) -> str:
    """The file's text, or GuardError: not a regular file, too large, or not UTF-8."""
    where = display or str(path)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise GuardError(where, 1, f"cannot read: {error.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise GuardError(where, 1, "not a regular file")
        if info.st_size > limit:
            raise GuardError(where, 1, f"larger than {limit} bytes")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise GuardError(where, 1, f"cannot read: {error.strerror}") from None
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > limit:
        raise GuardError(where, 1, f"larger than {limit} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise GuardError(where, raw[: error.start].count(b"\n") + 1, "not UTF-8") from None


def yaml_problem(text: str) -> tuple[int, str] | None:
    """(line, reason) when the YAML nests deeper than MAX_DEPTH or its aliases expand to more
    than MAX_EXPANDED_NODES nodes; None otherwise (syntax errors are the real parser's to
    report, with its own message)."""
    if _plainly_safe(text):
        return None
    yaml, loader = _pyyaml()
    opening = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    closing = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    open_sizes: list[int] = []  # expanded node count of each open collection
    anchored: dict[str, int] = {}
    open_anchors: list[str | None] = []
    total = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            line = event.start_mark.line + 1
            if isinstance(event, opening):
                if len(open_sizes) >= MAX_DEPTH:
                    return line, f"nested deeper than {MAX_DEPTH} levels"
                open_sizes.append(1)
                open_anchors.append(event.anchor)
                continue
            if isinstance(event, closing):
                size, anchor = open_sizes.pop(), open_anchors.pop()
            elif isinstance(event, yaml.ScalarEvent):
                size, anchor = 1, event.anchor
            elif isinstance(event, yaml.AliasEvent):
                size, anchor = anchored.get(event.anchor or "", 1), None
            else:
                continue
            if anchor:
                anchored[anchor] = size
            if open_sizes:
                open_sizes[-1] += size
            else:
                total += size  # a whole document
            if max(total, open_sizes[-1] if open_sizes else 0) > MAX_EXPANDED_NODES:
                return line, "aliases expand to too many nodes (alias bomb?)"
    except yaml.YAMLError as error:
        # libyaml stops at its own nesting limit while scanning ahead, before the events above
        # reach MAX_DEPTH: that is the depth refusal, not a syntax error for the parser to name.
        if "nesting depth" in str(error):
            mark = getattr(error, "problem_mark", None)
            return (mark.line + 1 if mark else 1), f"nested deeper than {MAX_DEPTH} levels"
        return None
    return None


def _pyyaml() -> tuple[Any, Any]:
    """PyYAML and its fastest safe loader, imported on first use: the import is a tenth of
    `envs`, and most text never needs the event scan."""
    import yaml

    return yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _plainly_safe(text: str) -> bool:
    """No anchors, and too little indentation, too few brackets and compact markers to nest
    MAX_DEPTH deep: the event scan (slow in Python) is only needed for the rest."""
    if "&" in text:
        return False
    # `- - - x` and `? ? x` nest one level per marker on a single line.
    indent = max(
        (
            len(line) - len(line.lstrip()) + line.count("- ") + line.count("? ")
            for line in text.splitlines()
        ),
        default=0,
    )
    return indent + text.count("{") + text.count("[") < MAX_DEPTH


# ruamel.yaml resolves a plain `._` (or `-._`) as a float and then fails to build it with a
# ValueError that is no YAMLError; the other parsers read it as a string.
_UNREADABLE_FLOAT = re.compile(r"[-+]?\._+")


def unreadable_scalar_line(text: str) -> int:
    """The line of the first plain scalar ruamel.yaml cannot construct (1 if none is found)."""
    yaml, loader = _pyyaml()
    try:
        for event in yaml.parse(text, Loader=loader):
            plain = isinstance(event, yaml.ScalarEvent) and not event.style
            if plain and _UNREADABLE_FLOAT.fullmatch(event.value):
                return int(event.start_mark.line) + 1
    except yaml.YAMLError:
        pass
    return 1


def read_yaml_text(path: Path, *, limit: int = MAX_BYTES, display: str | None = None) -> str:
    """read_text plus the depth and alias scan: text that is safe to hand to a YAML parser."""
    text = read_text(path, limit=limit, display=display)
    problem = yaml_problem(text)
    if problem is not None:
        raise GuardError(display or str(path), *problem)
    return text


def load_json(path: Path, *, limit: int = MAX_BYTES, display: str | None = None) -> Any:
    where = display or str(path)
    text = read_text(path, limit=limit, display=display)
    try:
        return json.loads(text)
    except RecursionError:
        raise GuardError(where, 1, "nested too deeply") from None
    except json.JSONDecodeError as error:
        raise GuardError(where, error.lineno, f"invalid JSON: {error.msg}") from None


def read_repo_yaml(root: Path, path: Path, *, limit: int = MAX_BYTES, checked: bool = True) -> str:
    """The text of a repository file some renderer or discovery reads on its own (an Argo CD
    Application, a git-files generator's file, a Flux directory's manifest, a values file):
    confined to the repository (a symlink may not lead out of it, e.g. to /dev/zero), a regular
    file, bounded, UTF-8 and — when `checked` — scanned for depth and alias expansion."""
    base = root.resolve()
    try:
        display = path.relative_to(base).as_posix()
    except ValueError:
        display = path.as_posix()
    if not path.resolve().is_relative_to(base):
        raise GuardError(display, 1, "links outside the repository; not read")
    if checked:
        return read_yaml_text(path, limit=limit, display=display)
    return read_text(path, limit=limit, display=display)
