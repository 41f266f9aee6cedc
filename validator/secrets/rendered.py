"""Checks of rendered objects: plaintext Secrets, leaks in any field, env and ConfigMap literals."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from typing import Any

from validator.model import Finding, Resource
from validator.secrets.allow import allowed_by_annotation
from validator.secrets.findings import (
    SECRET_LEAK,
    SECRET_PLAINTEXT,
    hash_note,
    key_path,
    object_finding,
    salted_hash,
)
from validator.secrets.leaks import (
    find_leaks,
    is_placeholder,
    is_secret_name,
    looks_like_secret_value,
)
from validator.secrets.references import is_reference
from validator.secrets.sops_load import mentions_sops
from validator.secrets.sops_values import looks_encrypted

Path = tuple[str | int, ...]
SECRET_FIELDS = ("data", "stringData")
# Filled in by the API server, never by the repository.
CONTROLLER_FILLED_TYPES = frozenset({"kubernetes.io/service-account-token"})


def is_secret(body: Mapping[str, Any]) -> bool:
    return body.get("kind") == "Secret" and body.get("apiVersion") == "v1"


def walk_strings(node: Any, path: Path = ()) -> list[tuple[Path, str]]:
    """Every string leaf with its path, in document order; the top-level `sops` block is
    metadata, not content. A list, not a generator: every object of every environment is
    walked, and nested generators cost more than the walk."""
    found: list[tuple[Path, str]] = []
    _collect(node, path, found)
    return found


def _collect(node: Any, path: Path, found: list[tuple[Path, str]]) -> None:
    if isinstance(node, str):
        found.append((path, node))
    elif isinstance(node, dict | Mapping):
        for key, value in node.items():
            if not (path == () and key == "sops"):
                _collect(value, (*path, str(key)), found)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            _collect(item, (*path, index), found)


def _decoded(value: str) -> str:
    # kustomize folds long base64 values of generated Secrets over several lines
    compact = "".join(value.split())
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return value  # not base64: judge the text as written
    return raw.decode("utf-8", "replace")


def _is_protected(text: str) -> bool:
    """Ciphertext, a sops document, a reference or a placeholder: not a plaintext secret."""
    stripped = text.strip()
    if not stripped or looks_encrypted(stripped) or is_reference(stripped):
        return True
    if is_placeholder(stripped):
        return True
    return mentions_sops(stripped) and "ENC[AES256_GCM" in stripped


def secret_plaintext(resource: Resource, salt: str) -> Iterator[Finding]:
    body = resource.body
    if body.get("type") in CONTROLLER_FILLED_TYPES or allowed_by_annotation(body):
        return
    for field in SECRET_FIELDS:
        entries = body.get(field)
        if not isinstance(entries, Mapping):
            continue
        sops_dotenv = _is_sops_dotenv(field, entries)
        for key, value in entries.items():
            if value is None or value == "" or (sops_dotenv and str(key).startswith("sops_")):
                continue
            raw = str(value)
            text = raw if field == "stringData" or looks_encrypted(raw) else _decoded(raw)
            if _is_protected(text):
                continue
            detection = next(find_leaks(text), None)
            detail = f" ({detection.detector})" if detection else ""
            message = (
                f"Secret {field}.{key} is plaintext{detail}: encrypt it with sops or use a "
                f"reference {hash_note(salted_hash(text, salt))}"
            )
            yield object_finding(SECRET_PLAINTEXT, message, resource, (field, str(key)))


def _is_sops_dotenv(field: str, entries: Mapping[str, Any]) -> bool:
    """A kustomize `secretGenerator` `envs:` entry read a SOPS-encrypted dotenv file: every
    value is ciphertext except sops' own `sops_*` metadata keys, which the controller (Flux's
    kustomize-controller, ksops) drops when it decrypts. Judged by the MAC being ciphertext."""
    mac = entries.get("sops_mac")
    if not isinstance(mac, str) or "sops_version" not in entries:
        return False
    text = mac if field == "stringData" or looks_encrypted(mac) else _decoded(mac)
    return looks_encrypted(text.strip())


def leaks(
    resource: Resource, salt: str, strings: list[tuple[Path, str]] | None = None
) -> Iterator[Finding]:
    """`strings`: the object's `walk_strings`, when the caller has it already."""
    body = resource.body
    if allowed_by_annotation(body):
        return
    secret = is_secret(body)
    for path, value in walk_strings(body) if strings is None else strings:
        if secret and path[:1] in (("data",), ("stringData",)):
            continue  # judged whole by secret_plaintext
        detection = next(find_leaks(value), None)
        if detection is not None:
            note = hash_note(salted_hash(detection.secret, salt))
            message = f"possible {detection.detector} in {key_path(path)} {note}"
            yield object_finding(SECRET_LEAK, message, resource, path)
        elif _is_named_literal(body, path, value):
            note = hash_note(salted_hash(value, salt))
            message = f"{_literal_name(body, path)} holds a literal secret {note}"
            yield object_finding(SECRET_LEAK, message, resource, path)


def _is_named_literal(body: Mapping[str, Any], path: Path, value: str) -> bool:
    """`env[].value` or ConfigMap `data` keys with secret-like names and high-entropy values."""
    name = _literal_name(body, path)
    return bool(name) and is_secret_name(name.split()[-1]) and looks_like_secret_value(value)


def _literal_name(body: Mapping[str, Any], path: Path) -> str:
    if body.get("kind") == "ConfigMap" and len(path) == 2 and path[0] == "data":
        return f"ConfigMap key {path[1]}"
    if len(path) >= 3 and path[-1] == "value" and path[-3] == "env":
        item = _at(body, path[:-1])
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            return f"env var {item['name']}"
    return ""


def _at(node: Any, path: Path) -> Any:
    for step in path:
        if isinstance(node, Mapping) and isinstance(step, str):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            return None
    return node
