"""Read gitops-validator.yaml and validate it against the JSON Schema shipped with the tool.

Errors name the offending key and the line in the file, so a person can fix them without
reading the schema.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from validator.guarded import read_yaml_text, unreadable_scalar_line
from validator.model import ConfigError

MAX_CONFIG_BYTES = 1 << 20


@cache
def _schema() -> Any:
    return json.loads(resources.files("validator.config").joinpath("schema.json").read_text())


@cache
def _validator() -> Any:
    return jsonschema_rs.validator_for(_schema())


def load_config_file(path: Path) -> dict[str, Any]:
    """Parse and validate; raise ConfigError with `file:line: message` lines on any problem."""
    document = _parse(path)
    problems = [_describe(error, document) for error in _validator().iter_errors(_plain(document))]
    if problems:
        lines = "\n".join(f"  {path}:{line}: {message}" for line, message in sorted(problems))
        raise ConfigError(f"invalid configuration:\n{lines}")
    plain: dict[str, Any] = _plain(document)
    return plain


def _parse(path: Path) -> CommentedMap:
    text = read_yaml_text(path, limit=MAX_CONFIG_BYTES)  # regular, bounded, UTF-8, no bombs
    try:
        document = YAML(typ="rt").load(text)
    except RecursionError:
        raise ConfigError(f"{path}:1: nested too deeply") from None
    except ValueError:  # ruamel.yaml cannot build a plain `._` (not a YAMLError)
        line = unreadable_scalar_line(text)
        raise ConfigError(f"{path}:{line}: invalid YAML: a plain value it cannot read") from None
    except MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: invalid YAML: {error.problem}") from None
    if document is None:
        return CommentedMap()
    if not isinstance(document, CommentedMap):
        raise ConfigError(f"{path}:1: the configuration must be a mapping")
    return document


def _plain(node: Any) -> Any:
    """ruamel's round-trip types (ScalarFloat, TaggedScalar, dates) as plain JSON values."""
    if isinstance(node, dict):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return str(node)


def _describe(error: Any, document: CommentedMap) -> tuple[int, str]:
    where = list(error.instance_path)
    dotted = ".".join(str(part) for part in where) or "top level"
    kind = error.kind
    kinds = jsonschema_rs.ValidationErrorKind
    if isinstance(kind, kinds.AdditionalProperties):
        key = str(kind.unexpected[0])
        allowed = _allowed_keys(list(error.schema_path))
        return _line_of(document, [*where, key]), f"unknown key '{key}' in {dotted}" + (
            _did_you_mean(key, allowed) + f" (allowed: {', '.join(allowed)})" if allowed else ""
        )
    if isinstance(kind, kinds.OneOfMultipleValid | kinds.OneOfNotValid):
        return _line_of(document, where), f"{dotted}: set exactly one of 'path' or 'helm'"
    if isinstance(kind, kinds.Enum):
        options = [json.dumps(option) for option in kind.options]
        value = json.dumps(error.instance)
        text = f"{dotted}: {value} is not one of {', '.join(options)}"
        return _line_of(document, where), text + _did_you_mean(
            str(error.instance), [str(o) for o in kind.options]
        )
    return _line_of(document, where), f"{dotted}: {error.message}"


def _allowed_keys(schema_path: list[str | int]) -> list[str]:
    """The keys the schema allows where an unknown key was found (its sibling `properties`)."""
    node: Any = _schema()
    for part in schema_path[:-1]:  # the last part is "additionalProperties" itself
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return []
    properties = node.get("properties") if isinstance(node, dict) else None
    return sorted(properties) if isinstance(properties, dict) else []


def _did_you_mean(given: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(given, choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _line_of(document: CommentedMap, path: list[str | int]) -> int:
    """1-based line of the deepest node along `path` that exists in the document."""
    line = 1
    node: Any = document
    for part in path:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line
