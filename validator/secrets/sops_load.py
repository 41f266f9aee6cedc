"""Load a SOPS file of any store (YAML, JSON, dotenv, INI, binary) into one flat shape.

Nothing is decrypted: we only need the tree's leaves (with the map-key path sops' selectors
and AAD see, a JSON pointer and a line) and the `sops` metadata as plain data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from validator.guarded import unreadable_scalar_line
from validator.secrets.sops_text import (
    SopsParseError,
    first_line_of,
    line_finder,
    parse_dotenv,
    parse_ini,
    unflatten,
)

MAX_LEAVES = 100_000  # alias bombs expand on walk; real secret files are far smaller
FORMATS_BY_SUFFIX = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".env": "dotenv"}
FORMATS_BY_SUFFIX[".ini"] = "ini"


@dataclass(frozen=True, slots=True)
class Leaf:
    document: int
    keys: tuple[str, ...]  # map keys only: what selectors and the AAD see
    pointer: tuple[str | int, ...]  # keys and list indices, for messages
    key_lines: tuple[int, ...]  # line of each key in `keys` (comment selectors look above)
    value: Any
    line: int


@dataclass(frozen=True, slots=True)
class SopsDocument:
    path: str
    store: str  # yaml | json | dotenv | ini | binary
    metadata: Mapping[str, Any] | None
    metadata_line: int
    leaves: tuple[Leaf, ...]
    top_keys: tuple[frozenset[str], ...]  # top-level keys of each document
    lines: tuple[str, ...]


def store_for(path: str) -> str:
    """The store sops picks from a file name: anything unknown is binary (formats.go)."""
    lowered = path.lower()
    for suffix, store in FORMATS_BY_SUFFIX.items():
        if lowered.endswith(suffix):
            return store
    return "binary"


_STORE_MARKERS = (
    ("yaml", re.compile(r"^sops:\s*$", re.M)),
    ("dotenv", re.compile(r"^sops_(?:version|mac)=", re.M)),
    ("ini", re.compile(r"^\[sops\]\s*$", re.M)),
)


def detect_store(path: str, text: str) -> str:
    """The store the file was written in: its name's, unless the content says otherwise.

    sops picks the store from the name, but `--input-type`/`--output-type` write any format
    under any name (an encrypted `kubeconfig` with no suffix is YAML), and the content is what
    sops needs back (`sops -d --input-type yaml kubeconfig`). JSON and the binary envelope
    (JSON with `data` and `sops` only) are told apart by their keys.
    """
    named = store_for(path)
    stripped = text.lstrip()
    if stripped.startswith("{"):
        if named in ("json", "binary"):
            return named
        return "binary" if _binary_keys(stripped) else "json"
    for store, marker in _STORE_MARKERS:
        if marker.search(text):
            return store
    return named


def _binary_keys(text: str) -> bool:
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and set(data) == {"data", "sops"}


def load_sops_document(path: str, text: str) -> SopsDocument:
    store = detect_store(path, text)
    lines = tuple(text.splitlines())
    if store == "yaml":
        return _load_yaml(path, text, lines)
    if store in ("json", "binary"):
        return _load_json(path, text, lines, store)
    entries = parse_dotenv(lines) if store == "dotenv" else parse_ini(lines)
    meta_prefix = ("sops_",) if store == "dotenv" else ("sops",)
    leaves: list[Leaf] = []
    flat_meta: dict[str, str] = {}
    meta_line = 0
    for keys, value, line in entries:
        if store == "dotenv" and keys[0].startswith(meta_prefix[0]):
            flat_meta[keys[0].removeprefix("sops_")] = value
            meta_line = meta_line or line
        elif store == "ini" and keys[0] == meta_prefix[0]:
            flat_meta[keys[-1]] = value
            meta_line = meta_line or line
        else:
            leaves.append(Leaf(0, keys, keys, (line,) * len(keys), value, line))
    metadata = unflatten(flat_meta) if flat_meta else None
    top = frozenset(leaf.keys[0] for leaf in leaves)
    return SopsDocument(path, store, metadata, meta_line, tuple(leaves), (top,), lines)


def _load_yaml(path: str, text: str, lines: tuple[str, ...]) -> SopsDocument:
    yaml = YAML(typ="rt")
    try:
        documents = [doc for doc in yaml.load_all(text) if doc is not None]
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise SopsParseError("not valid YAML (duplicate key or syntax error)", line) from None
    except YAMLError:
        raise SopsParseError("not valid YAML") from None
    except ValueError:  # ruamel cannot build a plain `._`, which is no YAMLError
        line = unreadable_scalar_line(text)
        raise SopsParseError("not valid YAML (a plain value it cannot read)", line) from None
    leaves: list[Leaf] = []
    metadata: Mapping[str, Any] | None = None
    meta_line = 0
    tops: list[frozenset[str]] = []
    for index, document in enumerate(documents):
        if not isinstance(document, CommentedMap):
            raise SopsParseError("sops supports only YAML documents that are mappings")
        if index == 0 and "sops" in document:
            metadata = _plain(document["sops"])
            meta_line = document.lc.key("sops")[0] + 1
        tops.append(frozenset(str(key) for key in document if key != "sops"))
        for key, value in document.items():
            if key == "sops":
                continue
            line = document.lc.key(key)[0] + 1
            leaves.extend(_walk_yaml(index, value, (str(key),), (str(key),), (line,), line))
        if len(leaves) > MAX_LEAVES:
            raise SopsParseError(f"more than {MAX_LEAVES} values (alias expansion?)")
    return SopsDocument(path, "yaml", metadata, meta_line, tuple(leaves), tuple(tops), lines)


def _walk_yaml(
    doc: int,
    node: Any,
    keys: tuple[str, ...],
    pointer: tuple[str | int, ...],
    key_lines: tuple[int, ...],
    line: int = 1,
) -> Iterator[Leaf]:
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            key_line = node.lc.key(key)[0] + 1
            yield from _walk_yaml(
                doc,
                value,
                (*keys, str(key)),
                (*pointer, str(key)),
                (*key_lines, key_line),
                key_line,
            )
    elif isinstance(node, CommentedSeq):
        for index, item in enumerate(node):
            item_line = node.lc.item(index)[0] + 1
            yield from _walk_yaml(doc, item, keys, (*pointer, index), key_lines, item_line)
    else:
        yield Leaf(doc, keys, pointer, key_lines, node, line)


def _plain(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    return node


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise SopsParseError("duplicate key in JSON object")
        result[key] = value
    return result


def _load_json(path: str, text: str, lines: tuple[str, ...], store: str) -> SopsDocument:
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as error:
        raise SopsParseError("not valid JSON", error.lineno) from None
    if not isinstance(data, dict):
        raise SopsParseError("a sops JSON document must be an object")
    metadata = data.get("sops") if isinstance(data.get("sops"), dict) else None
    meta_line = first_line_of(lines, '"sops"') if metadata is not None else 0
    body = {key: value for key, value in data.items() if key != "sops"}
    leaves = list(_walk_json(body, (), (), (), line_finder(lines)))
    top = frozenset(key for key in data if key != "sops")
    return SopsDocument(path, store, metadata, meta_line, tuple(leaves), (top,), lines)


def _walk_json(
    node: Any,
    keys: tuple[str, ...],
    pointer: tuple[str | int, ...],
    key_lines: tuple[int, ...],
    find: Callable[[str], int],
    line: int = 1,
) -> Iterator[Leaf]:
    if isinstance(node, dict):
        for key, value in node.items():
            key_line = find(key)
            yield from _walk_json(
                value, (*keys, key), (*pointer, key), (*key_lines, key_line), find, key_line
            )
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk_json(item, keys, (*pointer, index), key_lines, find, line)
    else:
        yield Leaf(0, keys, pointer, key_lines, node, line)


ENCRYPTED_MARKERS = re.compile(r"ENC\[AES256_GCM,|^sops:|^\s*\"sops\"\s*:|^sops_|^\[sops\]", re.M)


def mentions_sops(text: str) -> bool:
    """Cheap pre-filter: could this file be (or have been meant to be) a SOPS file?"""
    return ENCRYPTED_MARKERS.search(text) is not None
