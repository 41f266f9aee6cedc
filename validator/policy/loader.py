"""Read policy files: ValidatingAdmissionPolicies, bindings, Kyverno ValidatingPolicies, params."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml_rs

from validator.policy.autogen import expand_autogen
from validator.policy.documents import Binding, Policy, classify, parse_binding, parse_policy
from validator.policy.errors import PolicyError

# Documents that live next to policies but are not policies or params.
_NOT_PARAMS = {"PolicyTest", "Test", "Values", "PolicyExceptions"}
MAX_FILE_BYTES = 5 * 1024 * 1024


@dataclass(slots=True)
class PolicySet:
    policies: list[Policy] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    params: list[Mapping[str, Any]] = field(default_factory=list)

    def extend(self, other: PolicySet) -> None:
        self.policies.extend(other.policies)
        self.bindings.extend(other.bindings)
        self.params.extend(other.params)

    def names(self) -> set[str]:
        return {p.name for p in self.policies}


def read_yaml_documents(path: Path) -> list[Mapping[str, Any]]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise PolicyError(f"{path}: file is larger than {MAX_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
        loaded = yaml_rs.loads(text, parse_datetime=False)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise PolicyError(f"{path}: cannot read YAML: {error}") from None
    documents = loaded if isinstance(loaded, list) and "\n---" in "\n" + text else [loaded]
    return [d for d in documents if isinstance(d, Mapping)]


def yaml_files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml")))
        elif path.is_file():
            found.append(path)
        else:
            raise PolicyError(f"{path}: no such policy file or directory")
    return found


def load_policy_files(paths: Iterable[Path], label: Path | None = None) -> PolicySet:
    """`label` is the directory source names are shown relative to (the repository root)."""
    result = PolicySet()
    for path in yaml_files(paths):
        source = _display(path, label)
        for body in read_yaml_documents(path):
            result.extend(parse_documents([body], source))
    _check_unique(result.policies)
    return result


def parse_documents(bodies: Iterable[Mapping[str, Any]], source: str) -> PolicySet:
    result = PolicySet()
    for body in bodies:
        role = classify(body)
        if role == "policy":
            result.policies.extend(expand_autogen(parse_policy(body, source)))
        elif role == "binding":
            result.bindings.append(parse_binding(body, source))
        elif body.get("kind") not in _NOT_PARAMS and body.get("apiVersion"):
            result.params.append(body)
    return result


def _display(path: Path, label: Path | None) -> str:
    if label is not None:
        try:
            return path.resolve().relative_to(label.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def _check_unique(policies: list[Policy]) -> None:
    seen: dict[str, str] = {}
    for policy in policies:
        if policy.generated:
            continue
        if policy.name in seen and seen[policy.name] != policy.source:
            raise PolicyError(
                f"policy {policy.name!r} is defined twice: in {seen[policy.name]} "
                f"and {policy.source}"
            )
        seen[policy.name] = policy.source
