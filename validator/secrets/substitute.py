"""Apply time: replace reference expressions inside an object and prove nothing is left over.

The walk copies the object (the rendered `Resource.body` stays untouched and encrypted), and
the residue check runs on the copy that will be applied.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from validator.secrets.errors import SecretReferenceError, UnresolvedSecretError
from validator.secrets.findings import json_pointer
from validator.secrets.references import AVP_INLINE, VALS_REF

Path = tuple[str | int, ...]
# (expression, "<object> <JSON pointer>" of the string holding it) -> the resolved text
Lookup = Callable[[str, str], str]

# One pass over both syntaxes: a resolved value is never scanned again, so a secret that itself
# looks like a reference is not resolved (it is caught by the residue check instead).
ANY_REFERENCE = re.compile(f"{VALS_REF.pattern}|{AVP_INLINE.pattern}")
RESIDUE_MARKERS = ("ENC[", "ref+", "<path:")
_AVP_MODIFIERS: dict[str, Callable[[str], str]] = {
    "base64encode": lambda text: base64.b64encode(text.encode()).decode(),
    "base64decode": lambda text: base64.b64decode(text, validate=True).decode(),
}


def substitute(body: Mapping[str, Any], lookup: Lookup, label: str) -> dict[str, Any]:
    """A copy of `body` with every reference expression replaced by what `lookup` returns.

    In a v1 Secret's `data` a resolved value is base64-encoded (as argocd-vault-plugin does),
    because `data` holds base64 and the referenced value is the plain secret.
    """
    encode_data = body.get("kind") == "Secret" and body.get("apiVersion") == "v1"
    copied = _walk(body, (), lookup, encode_data, label)
    assert isinstance(copied, dict)
    return copied


def _walk(node: Any, path: Path, lookup: Lookup, encode_data: bool, label: str) -> Any:
    if isinstance(node, Mapping):
        return {
            key: _walk(value, (*path, str(key)), lookup, encode_data, label)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [
            _walk(item, (*path, index), lookup, encode_data, label)
            for index, item in enumerate(node)
        ]
    if not isinstance(node, str) or not _has_reference(node):
        return node
    pointer = f"{label} {json_pointer(path)}"
    resolved = _replace(node, pointer, lookup)
    if encode_data and len(path) == 2 and path[0] == "data":
        return base64.b64encode(resolved.encode()).decode()
    return resolved


def _has_reference(text: str) -> bool:
    return ANY_REFERENCE.search(text) is not None


def _replace(text: str, pointer: str, lookup: Lookup) -> str:
    def one(match: re.Match[str]) -> str:
        expression = match.group(0)
        if expression.startswith("<path:"):
            return _avp(expression, pointer, lookup)
        return lookup(expression, pointer)

    return ANY_REFERENCE.sub(one, text)


def _avp(expression: str, pointer: str, lookup: Lookup) -> str:
    """`<path:p#key#version | modifier>`: resolve the reference, then apply the modifiers."""
    reference, *rest = expression[:-1].split("|")
    modifiers = [part.strip() for part in rest]
    unknown = [modifier for modifier in modifiers if modifier not in _AVP_MODIFIERS]
    if unknown:  # refused before anything is fetched
        supported = ", ".join(_AVP_MODIFIERS)
        raise SecretReferenceError(
            f"{pointer}: argocd-vault-plugin modifier {unknown[0]!r} is not supported "
            f"(supported: {supported})"
        )
    value = lookup(reference.strip() + ">", pointer)
    for modifier in modifiers:
        try:
            value = _AVP_MODIFIERS[modifier](value)
        except ValueError:
            raise SecretReferenceError(f"{pointer}: {modifier} failed on the value") from None
    return value


def as_text(value: object) -> str:
    """How a resolved value is written into a string field."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, sort_keys=True)


def select_key(data: Mapping[str, Any], key: str, separator: str | None) -> tuple[bool, object]:
    """(found, value) for `key` in `data`; vals keys are paths (`a/b`), AVP keys are names."""
    parts = key.split(separator) if separator else [key]
    node: object = data
    for part in parts:
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def assert_resolved(body: Mapping[str, Any], label: str) -> None:
    """Raise if the object still carries sops metadata or an unresolved marker."""
    if "sops" in body:
        raise UnresolvedSecretError(f"{label}: sops metadata is still present after decryption")
    pointers = _residue(body, ())
    data = body.get("data") if body.get("kind") == "Secret" else None
    if isinstance(data, Mapping):  # base64 hides markers: look at the decoded bytes too
        pointers += [
            json_pointer(("data", str(key)))
            for key, value in data.items()
            if _encoded_residue(value)
        ]
    for pointer in pointers:
        raise UnresolvedSecretError(
            f"{label} {pointer}: still holds ENC[, ref+ or <path: after resolution"
        )


def _encoded_residue(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return False
    return any(marker in decoded for marker in RESIDUE_MARKERS)


def _residue(node: Any, path: Path) -> list[str]:
    if isinstance(node, Mapping):
        return [
            pointer for key, value in node.items() for pointer in _residue(value, (*path, str(key)))
        ]
    if isinstance(node, list):
        return [
            pointer for index, item in enumerate(node) for pointer in _residue(item, (*path, index))
        ]
    if isinstance(node, str) and any(marker in node for marker in RESIDUE_MARKERS):
        return [json_pointer(path)]
    return []
