"""Read policy files: ValidatingAdmissionPolicies, bindings, Kyverno ValidatingPolicies, params."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml_rs

from validator.guarded import GuardError, read_yaml_text
from validator.policy.autogen import expand_autogen
from validator.policy.documents import Binding, Policy, classify, parse_binding, parse_policy
from validator.policy.errors import PolicyError
from validator.policy.families import (
    Document,
    Family,
    FamilyPolicy,
    Problem,
    families,
    may_belong_to_a_family,
    policy_group,
)

# Documents that live next to policies but are not policies or params.
_NOT_PARAMS = {"PolicyTest", "Test", "Values", "PolicyExceptions"}
MAX_FILE_BYTES = 5 * 1024 * 1024


@dataclass(slots=True)
class PolicySet:
    policies: list[Policy] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    params: list[Mapping[str, Any]] = field(default_factory=list)
    family_policies: list[FamilyPolicy] = field(default_factory=list)  # see families.py
    problems: list[Problem] = field(default_factory=list)  # documents that cannot run

    def extend(self, other: PolicySet) -> None:
        self.policies.extend(other.policies)
        self.bindings.extend(other.bindings)
        self.params.extend(other.params)
        self.family_policies.extend(other.family_policies)
        self.problems.extend(other.problems)

    def names(self) -> set[str]:
        return {p.name for p in self.policies} | {p.name for p in self.family_policies}


def read_yaml_documents(path: Path) -> list[Mapping[str, Any]]:
    return [body for body, _ in read_documents_with_lines(path)]


_SEPARATOR = re.compile(r"^---(\s.*)?$")


def _document_lines(text: str) -> list[int]:
    """The 1-based first content line of each document, in yaml_rs's document order: the
    segment before the first `---` counts only when it holds content; later ones always do."""
    starts: list[int] = []
    content: int | None = None
    first = True
    for number, line in enumerate(text.splitlines(), 1):
        if _SEPARATOR.match(line):
            if not first or content is not None:
                starts.append(content or number)
            first, content = False, None
            continue
        if content is None and line.strip() and not line.lstrip().startswith("#"):
            content = number
    if not first or content is not None:
        starts.append(content or 1)
    return starts


def read_documents_with_lines(path: Path) -> list[tuple[Mapping[str, Any], int]]:
    try:
        text = read_yaml_text(path, limit=MAX_FILE_BYTES)  # regular, bounded, UTF-8, no bombs
        loaded = yaml_rs.loads(text, parse_datetime=False)
    except GuardError as error:
        raise PolicyError(str(error)) from None
    except (OSError, ValueError, RecursionError) as error:
        raise PolicyError(f"{path}: cannot read YAML: {error}") from None
    documents = loaded if isinstance(loaded, list) and "\n---" in "\n" + text else [loaded]
    lines = _document_lines(text)
    if len(lines) != len(documents):  # an unusual layout: fall back to the file's first line
        lines = [1] * len(documents)
    return [(d, n) for d, n in zip(documents, lines, strict=True) if isinstance(d, Mapping)]


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
    documents: list[Document] = []
    for path in yaml_files(paths):
        source = _display(path, label)
        documents.extend(Document(b, source, n) for b, n in read_documents_with_lines(path))
    result = parse_located(documents)
    _check_unique([*result.policies, *result.family_policies])
    return result


def parse_documents(bodies: Iterable[Mapping[str, Any]], source: str) -> PolicySet:
    return parse_located([Document(body, source) for body in bodies])


def parse_located(documents: Iterable[Document]) -> PolicySet:
    """The CEL core's documents, then each family's; a policy document nobody runs is a
    Problem."""
    result = PolicySet()
    claimed: dict[int, list[Document]] = {}
    registry: tuple[Family, ...] = ()
    for document in documents:
        body, source = document.body, document.source
        role = classify(body)
        if role == "policy":
            result.policies.extend(expand_autogen(parse_policy(body, source)))
            continue
        if role == "binding":
            result.bindings.append(parse_binding(body, source))
            continue
        owner = None
        if may_belong_to_a_family(body):  # the registry loads for family documents only
            registry = registry or families()
            owner = next((i for i, f in enumerate(registry) if f.claims(body)), None)
        if owner is not None:
            claimed.setdefault(owner, []).append(document)
        elif policy_group(body) is not None:
            result.problems.append(_unsupported(document))
        elif body.get("kind") not in _NOT_PARAMS and body.get("apiVersion"):
            result.params.append(body)
    for index, claimed_documents in sorted(claimed.items()):
        loaded = registry[index].load(claimed_documents)
        result.family_policies.extend(loaded.policies)
        result.problems.extend(loaded.problems)
        result.params.extend(loaded.others)
    return result


def _unsupported(document: Document) -> Problem:
    body = document.body
    name = str((body.get("metadata") or {}).get("name") or "")
    return Problem(
        document.source,
        document.line,
        f"{body.get('apiVersion')} {body.get('kind')} {name!r}: this kind of policy document "
        "is not supported, so it is not run",
        name,
    )


def _display(path: Path, label: Path | None) -> str:
    if label is not None:
        try:
            return path.resolve().relative_to(label.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def _check_unique(policies: Iterable[Policy | FamilyPolicy]) -> None:
    seen: dict[str, str] = {}
    for policy in policies:
        if getattr(policy, "generated", False):
            continue
        if policy.name in seen and seen[policy.name] != policy.source:
            raise PolicyError(
                f"policy {policy.name!r} is defined twice: in {seen[policy.name]} "
                f"and {policy.source}"
            )
        seen[policy.name] = policy.source
