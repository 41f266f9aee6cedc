"""Expected vs actual encryption: recompute sops' `shouldBeEncrypted` for every leaf.

sops.go: start from "encrypted", then apply the one selector to *every* map-key component of
the path (unanchored regex search, suffix test); comment selectors look at the comment lines
directly above a key, and the decision covers the key's whole subtree.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from validator.secrets.findings import SOPS_INVALID_METADATA, SOPS_UNENCRYPTED_VALUE, key_path
from validator.secrets.go_regex import go_compiles, go_search
from validator.secrets.sops_load import Leaf, SopsDocument
from validator.secrets.sops_metadata import selector
from validator.secrets.sops_values import EncFormatError, looks_encrypted, parse_enc

KUBE_READABLE = frozenset({"apiVersion", "kind", "metadata"})
KUBE_SECRET_DATA = frozenset({"data", "stringData"})


@dataclass(frozen=True, slots=True)
class Problem:
    rule_id: str
    message: str
    line: int


@dataclass(frozen=True, slots=True)
class Selector:
    name: str
    value: str

    def selects(self, leaf: Leaf, lines: Sequence[str]) -> bool:
        kind = self.name
        if kind.endswith("_comment_regex"):
            hit = any(
                go_search(self.value, comment)
                for line in leaf.key_lines
                for comment in comments_above(lines, line)
            )
        elif kind.endswith("_regex"):
            hit = any(go_search(self.value, key) for key in leaf.keys)
        else:
            hit = any(key.endswith(self.value) for key in leaf.keys)
        return hit if kind.startswith("encrypted") else not hit


def comments_above(lines: Sequence[str], line: int) -> Iterator[str]:
    """The contiguous comment lines right above 1-based `line`."""
    index = line - 2
    while 0 <= index < len(lines) and lines[index].lstrip().startswith("#"):
        yield lines[index].lstrip()[1:].strip()
        index -= 1


def _is_empty(value: object) -> bool:
    # sops never encrypts empty strings and skips nulls
    return value is None or value == ""


def _kube_kind(doc: SopsDocument, leaves: Sequence[Leaf], index: int) -> str | None:
    """`Secret`, another kind, or "?" when encrypted; None when the document is not a
    Kubernetes object. Objects always carry `metadata`: a kubeconfig (`apiVersion`, `kind:
    Config`, no metadata) or another tool's config is not one, and may be encrypted whole."""
    if not {"apiVersion", "kind", "metadata"} <= doc.top_keys[index]:
        return None
    kind = next(leaf.value for leaf in leaves if leaf.document == index and leaf.keys == ("kind",))
    return "?" if looks_encrypted(kind) else str(kind)


def encryption_problems(doc: SopsDocument) -> Iterator[Problem]:
    """Malformed ciphertext, plaintext where ciphertext belongs, ciphertext where it does not."""
    name, value = selector(doc.metadata) if doc.metadata is not None else ("", "")
    chooser = Selector(name, value) if _compiles(name, value) else None
    kinds = {index: _kube_kind(doc, doc.leaves, index) for index in range(len(doc.top_keys))}
    for leaf in doc.leaves:
        path = key_path(leaf.pointer)
        encrypted = looks_encrypted(leaf.value)
        if encrypted:
            try:
                parse_enc(leaf.value)
            except EncFormatError as error:
                yield Problem(SOPS_INVALID_METADATA, f"{path}: ciphertext {error}", leaf.line)
                continue
        kind = kinds.get(leaf.document)
        if kind is not None and leaf.keys[0] in KUBE_READABLE:
            if encrypted:
                yield Problem(
                    SOPS_INVALID_METADATA,
                    f"{path} is encrypted; apiVersion, kind and metadata must stay readable "
                    "for kustomize and Flux (encrypt with encrypted_regex '^(data|stringData)$')",
                    leaf.line,
                )
            continue
        if doc.metadata is None or chooser is None or _is_empty(leaf.value):
            continue
        expected = _expected(doc, leaf, chooser, kind)
        if expected and not encrypted:
            yield Problem(
                SOPS_UNENCRYPTED_VALUE,
                f"{path} is plaintext but must be encrypted ({_why(doc, chooser, leaf, kind)})",
                leaf.line,
            )
        elif encrypted and not expected:
            yield Problem(
                SOPS_INVALID_METADATA,
                f"{path} is encrypted but the file's {chooser.name} leaves it in plaintext "
                "(a moved or tampered value: sops would not decrypt it)",
                leaf.line,
            )


def _expected(doc: SopsDocument, leaf: Leaf, chooser: Selector, kind: str | None) -> bool:
    if doc.store == "binary":
        return True  # the binary store ignores selectors: `data` is the whole file
    if kind in ("Secret", "?") and leaf.keys[0] in KUBE_SECRET_DATA:
        return True
    return chooser.selects(leaf, doc.lines)


def _why(doc: SopsDocument, chooser: Selector, leaf: Leaf, kind: str | None) -> str:
    if doc.store == "binary":
        return "binary store"
    if (
        kind in ("Secret", "?")
        and leaf.keys[0] in KUBE_SECRET_DATA
        and not chooser.selects(leaf, doc.lines)
    ):
        return "Kubernetes Secret data"
    return f"{chooser.name}: {chooser.value}"


def _compiles(name: str, value: str) -> bool:
    if not name.endswith("_regex"):
        return bool(name)
    return go_compiles(value)  # a pattern that does not compile is reported by the metadata check
