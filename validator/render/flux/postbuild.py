"""postBuild: load a Kustomization's variables and substitute them into each built object.

Variables come from `substituteFrom` ConfigMaps and Secrets this repository renders (later
entries win) and from inline `substitute` (wins over all). A SOPS-encrypted Secret is never
decrypted: its keys are known from the file's structure and each value is the placeholder
`<sops:KEY>`, so what uses it renders and no secret value enters the output.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from validator.model import Category, Finding, Severity, SourceLocation
from validator.render.document import Document
from validator.render.flux import api
from validator.render.flux.substitute import VAR_NAME, substitute
from validator.render.stream import StreamError, load_documents

DISABLED = "kustomize.toolkit.fluxcd.io/substitute"
RULE = "substitution-unresolved"


def sops_placeholder(key: str) -> str:
    return f"<sops:{key}>"


@dataclass
class PostBuild:
    documents: list[Document]
    findings: list[Finding] = field(default_factory=list)


def post_build(
    repo: Path,
    kustomization: Mapping[str, Any],
    documents: list[Document],
    available: Iterable[Document],
    where: SourceLocation | None,
    unit: str,
) -> PostBuild:
    spec = api.spec(kustomization).get("postBuild")
    if not isinstance(spec, Mapping):
        return PostBuild(documents)
    result = PostBuild([])
    namespace = str(api.metadata(kustomization).get("namespace") or "default")
    variables = _variables(spec, namespace, list(available), where, unit, result.findings)
    if not variables and spec.get("substituteStrategy") != "Always":
        return PostBuild(documents, result.findings)  # Flux substitutes only once a var resolved
    for document in documents:
        result.documents.append(_substituted(repo, document, variables, result.findings))
    return result


def _variables(
    spec: Mapping[str, Any],
    namespace: str,
    available: list[Document],
    where: SourceLocation | None,
    unit: str,
    findings: list[Finding],
) -> dict[str, str]:
    variables: dict[str, str] = {}
    for reference in spec.get("substituteFrom") or []:
        if not isinstance(reference, Mapping):
            continue
        kind, name = str(reference.get("kind") or ""), str(reference.get("name") or "")
        found = _find(available, kind, namespace, name)
        if found is None:
            if not reference.get("optional"):
                findings.append(
                    _finding(
                        f"substituteFrom {kind} {namespace}/{name} is not in this repository's "
                        "rendered output: its variables are unknown",
                        where,
                        unit,
                    )
                )
            continue
        variables.update(_values_of(found.body))
    inline = spec.get("substitute")
    if isinstance(inline, Mapping):
        variables.update({str(k): str(v) for k, v in inline.items()})
    invalid = sorted(name for name in variables if not VAR_NAME.match(name))
    for name in invalid:
        findings.append(
            _finding(f"variable name {name!r} is invalid, Flux rejects it", where, unit)
        )
        del variables[name]
    return {name: value.replace("\n", "") for name, value in variables.items()}


def _find(available: list[Document], kind: str, namespace: str, name: str) -> Document | None:
    for document in reversed(available):
        body = document.body
        meta = api.metadata(body)
        if (
            body.get("kind") == kind
            and body.get("apiVersion") == "v1"
            and meta.get("name") == name
            and str(meta.get("namespace") or namespace) == namespace
        ):
            return document
    return None


def _values_of(body: Mapping[str, Any]) -> dict[str, str]:
    encrypted = isinstance(body.get("sops"), Mapping)
    values: dict[str, str] = {}
    data, string_data = body.get("data"), body.get("stringData")
    for source, encoded in ((data, body.get("kind") == "Secret"), (string_data, False)):
        if not isinstance(source, Mapping):
            continue
        for key, value in source.items():
            if encrypted:
                values[str(key)] = sops_placeholder(str(key))
            else:
                values[str(key)] = _decoded(str(value)) if encoded else str(value)
    return values


def _decoded(value: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return value


def _substituted(
    repo: Path, document: Document, variables: Mapping[str, str], findings: list[Finding]
) -> Document:
    body = document.body
    if _disabled(body):
        return document
    text = yaml.dump(body, Dumper=_Dumper, default_flow_style=False, sort_keys=False, width=1 << 16)
    if "$" not in text:
        return document
    done = substitute(text, variables)
    for name in dict.fromkeys(done.unresolved):
        where = _using_line(repo, document.origin, name)
        findings.append(
            _finding(
                f"variable ${{{name}}} is not defined and has no default "
                "(Flux fails the Kustomization in strict mode)",
                where,
                document.unit,
            )
        )
    try:
        parsed = load_documents(done.text)
    except StreamError as error:
        findings.append(
            _finding(
                f"substitution made the object invalid YAML: {error}",
                document.origin,
                document.unit,
            )
        )
        return document
    new_body = parsed[0] if len(parsed) == 1 and isinstance(parsed[0], dict) else body
    return Document(new_body, document.origin, document.unit)


def _disabled(body: Mapping[str, Any]) -> bool:
    meta = api.metadata(body)
    for field_name in ("labels", "annotations"):
        values = meta.get(field_name)
        if isinstance(values, Mapping) and str(values.get(DISABLED, "")).lower() == "disabled":
            return True
    return False


def _using_line(repo: Path, origin: SourceLocation | None, name: str) -> SourceLocation | None:
    """The first line at or after the object's document start that uses the variable."""
    if origin is None:
        return None
    try:
        lines = (repo / origin.file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return origin
    pattern = re.compile(r"\$\{#?" + re.escape(name) + r"\b")
    for number in range(origin.line - 1, len(lines)):
        if number > origin.line - 1 and lines[number].startswith("---"):
            break
        match = pattern.search(lines[number])
        if match:
            return SourceLocation(origin.file, number + 1, match.start() + 1)
    return origin


def _finding(message: str, where: SourceLocation | None, unit: str | None) -> Finding:
    return Finding(
        rule_id=RULE,
        category=Category.RENDER,
        severity=Severity.ERROR,
        message=message,
        location=where,
        unit=unit,
    )


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Plain YAML text like kustomize-controller substitutes into."""
