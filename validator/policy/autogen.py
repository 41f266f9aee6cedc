"""Kyverno pod-controller autogen: a ValidatingPolicy written for Pods also checks pod templates.

Each generated variant matches the controllers and reads the pod template where the original
reads the Pod (`object.spec` → `object.spec.template.spec`, CronJobs one level deeper); findings
are reported against the controller under the original policy's name.
"""

from __future__ import annotations

import dataclasses
import re

from validator.policy.cel_source import rewrite_code
from validator.policy.documents import MatchResources, Policy, Rule, Validation

_TEMPLATE = {
    "apps": ("deployments", "statefulsets", "daemonsets", "replicasets"),
    "batch": ("jobs",),
}
_REFERENCE = re.compile(r"(?<![\w.])(object|oldObject)\.(spec|metadata)\b")


def _matches_pods(policy: Policy) -> bool:
    return any(
        ("" in r.api_groups or "*" in r.api_groups) and "pods" in r.resources
        for r in policy.match.resource_rules
    )


def _rewrite(expression: str, prefix: str) -> str:
    def replace(match: re.Match[str]) -> str:
        return f"{match.group(1)}.{prefix}.{match.group(2)}"

    return rewrite_code(expression, _REFERENCE, replace)


def _variant(policy: Policy, rules: tuple[Rule, ...], prefix: str) -> Policy:
    def fix(text: str | None) -> str | None:
        return _rewrite(text, prefix) if text else text

    return dataclasses.replace(
        policy,
        match=MatchResources(
            resource_rules=rules,
            namespace_selector=policy.match.namespace_selector,
            object_selector=policy.match.object_selector,
        ),
        validations=tuple(
            Validation(
                expression=_rewrite(v.expression, prefix),
                message=v.message,
                message_expression=fix(v.message_expression),
                reason=v.reason,
            )
            for v in policy.validations
        ),
        match_conditions=tuple((n, _rewrite(e, prefix)) for n, e in policy.match_conditions),
        variables={n: _rewrite(e, prefix) for n, e in policy.variables.items()},
        audit_annotations=tuple((k, _rewrite(e, prefix)) for k, e in policy.audit_annotations),
        generated=True,
    )


def expand_autogen(policy: Policy) -> list[Policy]:
    if not policy.autogen_controllers or not _matches_pods(policy):
        return [policy]
    operations = policy.match.resource_rules[0].operations
    variants = [policy]
    for group, resources in _TEMPLATE.items():
        chosen = tuple(r for r in resources if r in policy.autogen_controllers)
        if chosen:
            rule = Rule(api_groups=(group,), api_versions=("v1",), resources=chosen,
                        operations=operations)  # fmt: skip
            variants.append(_variant(policy, (rule,), "spec.template"))
    if "cronjobs" in policy.autogen_controllers:
        rule = Rule(api_groups=("batch",), api_versions=("v1",), resources=("cronjobs",),
                    operations=operations)  # fmt: skip
        variants.append(_variant(policy, (rule,), "spec.jobTemplate.spec.template"))
    return variants
