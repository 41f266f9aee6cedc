"""The Kyverno family: kyverno.io ClusterPolicy/Policy and PolicyException documents, plus the
Kyverno kinds that do not validate (listed as skipped, never counted as passes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from validator.model import Resource
from validator.policy.families import Document, Loaded, Problem, RuleResult, Scope
from validator.policy.kyverno.evaluate import evaluate_policy
from validator.policy.kyverno.policy import KINDS, KyvernoPolicy, parse_policy

GROUP = "kyverno.io"
CEL_GROUP = "policies.kyverno.io"
EXCEPTION_VERSIONS = ("kyverno.io/v2", "kyverno.io/v2beta1", "kyverno.io/v2alpha1")
# Kinds that change or create objects instead of validating them.
NOT_VALIDATING = {
    GROUP: ("ClusterCleanupPolicy", "CleanupPolicy", "UpdateRequest"),
    CEL_GROUP: (
        "MutatingPolicy",
        "NamespacedMutatingPolicy",
        "GeneratingPolicy",
        "NamespacedGeneratingPolicy",
        "DeletingPolicy",
        "NamespacedDeletingPolicy",
    ),
}


class KyvernoPolicyRunner(KyvernoPolicy):
    """A parsed policy that the engine can run (the FamilyPolicy protocol)."""

    def evaluate(self, resource: Resource, scope: Scope) -> list[RuleResult]:
        return evaluate_policy(self, resource, scope)


def _group(body: Mapping[str, Any]) -> str:
    return str(body.get("apiVersion") or "").rpartition("/")[0]


class KyvernoFamily:
    name = "kyverno"

    def claims(self, body: Mapping[str, Any]) -> bool:
        group, kind = _group(body), body.get("kind")
        if group == GROUP and (kind in KINDS or kind == "PolicyException"):
            return True
        return kind in NOT_VALIDATING.get(group, ())

    def load(self, documents: Sequence[Document]) -> Loaded:
        loaded = Loaded()
        exceptions: list[Mapping[str, Any]] = []
        policies: list[KyvernoPolicyRunner] = []
        for document in documents:
            body, kind = document.body, str(document.body.get("kind"))
            if kind == "PolicyException":
                if str(body.get("apiVersion")) in EXCEPTION_VERSIONS:
                    exceptions.append(body)
                else:
                    loaded.problems.append(
                        Problem(
                            document.source,
                            document.line,
                            f"{body.get('apiVersion')} PolicyException is not supported",
                        )
                    )
            elif kind in KINDS:
                parsed = parse_policy(document)
                runner = KyvernoPolicyRunner(**{f: getattr(parsed, f) for f in _FIELDS})
                policies.append(runner)
                loaded.problems.extend(parsed.problems)
            else:
                policies.append(_not_validating(document))
        for policy in policies:
            policy.exceptions = [e for e in exceptions if _names_policy(e, policy.name)]
        loaded.policies.extend(policies)
        return loaded


_FIELDS = (
    "name",
    "kind",
    "namespace",
    "source",
    "line",
    "annotations",
    "rules",
    "skipped",
    "problems",
    "exceptions",
)


def _not_validating(document: Document) -> KyvernoPolicyRunner:
    body = document.body
    metadata = body.get("metadata") or {}
    kind = str(body.get("kind"))
    return KyvernoPolicyRunner(
        name=str(metadata.get("name") or ""),
        kind=kind,
        namespace=None,
        source=document.source,
        line=document.line,
        annotations=dict(metadata.get("annotations") or {}),
        skipped=[f"{kind}: changes or creates objects, not a validation"],
    )


def _names_policy(exception: Mapping[str, Any], policy: str) -> bool:
    entries = (exception.get("spec") or {}).get("exceptions") or []
    return any(isinstance(e, Mapping) and e.get("policyName") == policy for e in entries)


KYVERNO = KyvernoFamily()
