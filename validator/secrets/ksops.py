"""ksops generators (`apiVersion: viaduct.ai/v1`, `kind: ksops`): kustomize exec plugins that
decrypt the SOPS files they list. Checked without decrypting: the scheme is allowed, and every
listed file exists in the repository and is SOPS-encrypted (else ksops fails, or the file is
plaintext beside the manifests)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml_rs

from validator.model import Finding
from validator.secrets.findings import SECRET_REF_INVALID, SECRET_REF_SCHEME_DENIED, file_finding
from validator.secrets.sops_load import mentions_sops

_KSOPS_KIND = re.compile(r"(?m)^kind:\s*[\"']?ksops[\"']?\s*$")


def is_ksops_generator(text: str) -> bool:
    return bool(_KSOPS_KIND.search(text)) and "viaduct.ai/" in text


def ksops_findings(
    root: Path, path: str, text: str, allowed_schemes: tuple[str, ...]
) -> list[Finding]:
    if not is_ksops_generator(text):
        return []
    if "ksops" not in allowed_schemes:
        listed = ", ".join(allowed_schemes) or "none"
        message = f"ksops generator: scheme ksops not allowed (allowed: {listed})"
        return [file_finding(SECRET_REF_SCHEME_DENIED, message, path)]
    try:
        loaded = yaml_rs.loads(text, parse_datetime=False)
    except ValueError:
        return []  # the YAML check of the render reports what does not parse
    documents = loaded if isinstance(loaded, list) else [loaded]
    findings = []
    directory = posixpath.dirname(path)
    for entry in (e for doc in documents if _is_ksops(doc) for e in _listed_files(doc)):
        problem = _problem(root, posixpath.normpath(posixpath.join(directory, entry)))
        if problem:
            message = f"ksops generator lists {entry}, which {problem}"
            findings.append(file_finding(SECRET_REF_INVALID, message, path, _line(text, entry)))
    return findings


def _is_ksops(document: Any) -> bool:
    return isinstance(document, dict) and document.get("kind") == "ksops"


def _listed_files(document: dict[str, Any]) -> Iterator[str]:
    """`files:` and `secretFrom[].files:` entries; `key=path` names the path after `=`."""
    sources = document.get("secretFrom")
    groups = [document.get("files")]
    groups += [s.get("files") for s in sources or [] if isinstance(s, dict)]
    for group in groups:
        for item in group if isinstance(group, list) else []:
            if isinstance(item, str) and item.strip():
                yield item.split("=", 1)[-1].strip()


def _problem(root: Path, relative: str) -> str | None:
    if relative.startswith("/") or relative.split("/")[0] == "..":
        return "is outside the repository"
    target = root / relative
    if not target.is_file():
        return "does not exist"
    try:
        text = target.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "cannot be read"
    if not mentions_sops(text):
        return "is not SOPS-encrypted: ksops cannot decrypt it"
    return None


def _line(text: str, entry: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if entry in line:
            return number
    return 1
