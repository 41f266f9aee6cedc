"""conftest's config-parsing builtins for `test_` rules, for the formats a GitOps repo holds.

`parse_config(parser, text)`, `parse_config_file(path)` and `parse_combined_config_files(paths)`
(paths relative to the policy directory, as conftest resolves them from the module's file)
read YAML and JSON; another parser (HCL, nginx, groovy, ...) is an evaluation error that names
it, so the test fails visibly instead of passing by accident.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml_rs

from validator.guarded import GuardError, read_text, yaml_problem

MAX_FILE_BYTES = 2 * 1024 * 1024
_PARSERS = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}


def _parse(parser: str, text: str) -> list[Any]:
    if parser in ("yaml", "yml"):
        problem = yaml_problem(text)  # an alias bomb or deep nesting is refused unparsed
        if problem is not None:
            raise ValueError(f"line {problem[0]}: {problem[1]}")
        loaded = yaml_rs.loads(text, parse_datetime=False)
        return loaded if isinstance(loaded, list) and "\n---" in "\n" + text else [loaded]
    if parser == "json":
        return [json.loads(text)]
    raise ValueError(f"parser {parser!r} is not supported (only yaml and json)")


def _read(base: Path, name: str) -> tuple[str, list[Any]]:
    path = (base / name).resolve()
    if not path.is_relative_to(base.resolve()):
        raise ValueError(f"{name!r} is outside the policy directory")
    parser = _PARSERS.get(path.suffix)
    if parser is None:
        raise ValueError(f"{name!r}: no supported parser for {path.suffix or 'this file'}")
    try:  # guarded: a FIFO or /dev/zero in the policy directory must not hang the run
        text = read_text(path, limit=MAX_FILE_BYTES, display=name)
    except GuardError as error:
        raise ValueError(str(error)) from None
    return name, _parse(parser, text)


def extensions(base: Path) -> dict[str, tuple[int, Callable[..., Any]]]:
    def parse_config(parser: str, text: str) -> Any:
        documents = _parse(str(parser), str(text))
        return documents[0] if len(documents) == 1 else documents

    def parse_config_file(name: str) -> Any:
        _, documents = _read(base, str(name))
        return documents[0] if len(documents) == 1 else documents

    def parse_combined_config_files(names: list[str]) -> Any:
        combined: list[dict[str, Any]] = []
        for name in names:
            shown, documents = _read(base, str(name))
            combined.extend({"path": shown, "contents": d} for d in documents)
        return combined

    return {
        "parse_config": (2, parse_config),
        "parse_config_file": (1, parse_config_file),
        "parse_combined_config_files": (1, parse_combined_config_files),
    }
