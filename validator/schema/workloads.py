"""Pod controllers: template labels syntax and the selector-must-match-template rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from validator.schema.metadata import Problem, check_labels

POD_CONTROLLERS = frozenset(
    {("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "DaemonSet"), ("apps", "ReplicaSet")}
)


def _expression_matches(expression: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    key = str(expression.get("key") or "")
    operator = expression.get("operator")
    values = expression.get("values") or []
    present = key in labels
    if operator == "In":
        return present and labels[key] in values
    if operator == "NotIn":
        return not present or labels[key] not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    return False


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not isinstance(match_labels, dict) or not isinstance(expressions, list):
        return True  # a malformed selector is the schema's finding, not this one
    if not match_labels and not expressions:
        return False  # the API server rejects an empty selector for these kinds
    if any(labels.get(key) != value for key, value in match_labels.items()):
        return False
    return all(isinstance(e, dict) and _expression_matches(e, labels) for e in expressions)


def check_pod_controller(group: str, kind: str, body: Mapping[str, Any]) -> list[Problem]:
    if (group, kind) not in POD_CONTROLLERS:
        return []
    spec = body.get("spec")
    if not isinstance(spec, dict):
        return []
    template = spec.get("template")
    template_meta = template.get("metadata") if isinstance(template, dict) else None
    labels = template_meta.get("labels") if isinstance(template_meta, dict) else None
    problems = check_labels(labels, ["spec", "template", "metadata", "labels"])
    selector = spec.get("selector")
    if isinstance(selector, dict) and isinstance(labels, dict | None):
        problems += check_labels(selector.get("matchLabels"), ["spec", "selector", "matchLabels"])
        if not selector_matches(selector, labels or {}):
            problems.append(
                (
                    "/spec/template/metadata/labels",
                    "spec.template.metadata.labels: the selector (spec.selector) does not match "
                    "the template labels",
                )
            )
    return problems
