"""Kyverno rows: the same three checks written as a pattern ClusterPolicy, as a validate.cel
ClusterPolicy and as a CEL ValidatingPolicy, each over every Deployment (autogen included)."""

from __future__ import annotations

from typing import Any

Body = dict[str, Any]
_MATCH = {"any": [{"resources": {"kinds": ["Pod"]}}]}
_PATTERN_RULES = [
    {
        "name": "no-latest",
        "match": _MATCH,
        "validate": {
            "message": "pin image tags",
            "pattern": {"spec": {"containers": [{"image": "!*:latest"}]}},
        },
    },
    {
        "name": "no-privileged",
        "match": _MATCH,
        "validate": {
            "message": "no privileged containers",
            "pattern": {
                "spec": {"containers": [{"=(securityContext)": {"=(privileged)": "false"}}]}
            },
        },
    },
    {
        "name": "limits",
        "match": _MATCH,
        "validate": {
            "message": "memory limits",
            "pattern": {"spec": {"containers": [{"resources": {"limits": {"memory": "?*"}}}]}},
        },
    },
]
_CEL = [
    "object.spec.containers.all(c, !c.image.endsWith(':latest'))",
    "object.spec.containers.all(c, !c.?securityContext.?privileged.orValue(false))",
    "object.spec.containers.all(c, has(c.resources) && has(c.resources.limits) && "
    "has(c.resources.limits.memory))",
]


def _cluster_policy(name: str, rules: list[Body]) -> Body:
    return {
        "apiVersion": "kyverno.io/v1",
        "kind": "ClusterPolicy",
        "metadata": {"name": name},
        "spec": {"validationFailureAction": "Enforce", "rules": rules},
    }


def pattern_policy() -> Body:
    return _cluster_policy("bench-pattern", _PATTERN_RULES)


def cel_policy() -> Body:
    rules = [
        {
            "name": f"cel-{i}",
            "match": _MATCH,
            "validate": {"message": "cel check", "cel": {"expressions": [{"expression": e}]}},
        }
        for i, e in enumerate(_CEL)
    ]
    return _cluster_policy("bench-cel", rules)


def validating_policy() -> Body:
    return {
        "apiVersion": "policies.kyverno.io/v1",
        "kind": "ValidatingPolicy",
        "metadata": {"name": "bench-vpol"},
        "spec": {
            "validationActions": ["Deny"],
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["pods"],
                    }
                ]
            },
            "validations": [{"expression": e} for e in _CEL],
        },
    }


def rates(bodies: list[Body], repeats: int) -> list[Any]:
    """One rate per way of writing the checks (objects per second, autogen included)."""
    from bench.engine_rates import Rate, _best, _environment
    from validator.policy import PolicyEngine, PolicySet
    from validator.policy.loader import parse_documents

    env = _environment(bodies)
    out = []
    for label, policy in (
        ("kyverno ClusterPolicy: pattern (objects)", pattern_policy()),
        ("kyverno ClusterPolicy: validate.cel (objects)", cel_policy()),
        ("kyverno ValidatingPolicy, same checks (objects)", validating_policy()),
    ):
        engine = PolicyEngine(
            PolicySet(), parse_documents([policy], "bench.yaml"), default_profile="none"
        )
        engine.evaluate(env)  # compiles outside the clock
        seconds, findings = _best(lambda engine=engine: engine.evaluate(env), repeats)
        note = f"3 checks per pod template, {len(findings):,} findings"
        out.append(Rate(label, len(bodies), seconds, note))
    return out
