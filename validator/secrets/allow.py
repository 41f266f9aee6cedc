"""Accepted findings: inline allow markers (with a reason) and a baseline of salted hashes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator.guarded import GuardError, load_json
from validator.model import ConfigError, Finding

# `# gitops-validator: allow-secret reason=<why>` — a marker without a reason allows nothing.
ALLOW_MARKER = re.compile(r"gitops-validator:\s*allow-secret\s+reason=\S")
ALLOW_ANNOTATION = "gitops-validator.io/allow-secret"
DEFAULT_BASELINE = ".gitops-validator-secrets-baseline.json"
_HASH_IN_MESSAGE = re.compile(r"\(value (sha256:[0-9a-f]+), salted\)")


def allowed_lines(lines: Sequence[str]) -> frozenset[int]:
    """1-based lines a marker covers: its own line, and the next one when it stands alone."""
    covered: set[int] = set()
    for number, line in enumerate(lines, start=1):
        if ALLOW_MARKER.search(line):
            covered.add(number)
            if line.lstrip().startswith(("#", "//", ";")):
                covered.add(number + 1)
    return frozenset(covered)


def allowed_by_annotation(body: Any) -> bool:
    metadata = body.get("metadata") if isinstance(body, dict) else None
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    reason = annotations.get(ALLOW_ANNOTATION) if isinstance(annotations, dict) else None
    return isinstance(reason, str) and bool(reason.strip())


@dataclass(frozen=True, slots=True)
class Baseline:
    """Accepted (rule, hash) pairs, optionally pinned to one file or resource key."""

    entries: frozenset[tuple[str, str, str]] = frozenset()  # (rule_id, anchor or "", hash)

    def accepts(self, finding: Finding) -> bool:
        found = _HASH_IN_MESSAGE.search(finding.message)
        if found is None or not self.entries:
            return False
        anchor = _anchor(finding)
        return any(
            (finding.rule_id, pinned, found.group(1)) in self.entries for pinned in ("", anchor)
        )


def _anchor(finding: Finding) -> str:
    if finding.location is not None:
        return finding.location.file
    return finding.resource.key if finding.resource is not None else ""


MAX_BASELINE_BYTES = 16 << 20


def load_baseline(path: Path) -> Baseline:
    """Read a baseline file; a missing file is an empty baseline, a broken one a ConfigError."""
    if not path.is_file():
        return Baseline()
    try:
        data = load_json(path, limit=MAX_BASELINE_BYTES)
        entries = frozenset(
            (str(item["ruleId"]), str(item.get("file") or item.get("resource") or ""), item["hash"])
            for item in data["accepted"]
        )
    except GuardError:
        raise
    except (ValueError, KeyError, TypeError) as error:
        raise ConfigError(
            f"secrets baseline {path.name} is malformed ({type(error).__name__})"
        ) from None
    return Baseline(entries)


def baseline_document(findings: Iterable[Finding]) -> dict[str, Any]:
    """A baseline accepting every hashed finding given (write it with json.dump)."""
    accepted = []
    for finding in findings:
        found = _HASH_IN_MESSAGE.search(finding.message)
        if found is not None:
            key = "file" if finding.location is not None else "resource"
            accepted.append({"ruleId": finding.rule_id, key: _anchor(finding), "hash": found[1]})
    return {"version": 1, "accepted": accepted}
