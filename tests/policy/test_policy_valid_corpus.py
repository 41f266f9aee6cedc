"""Every built-in policy evaluates without an error on valid objects of every workload kind,
with the optional fields absent (no pod template metadata, no securityContext, no resources) or
present in their less common shapes (init and ephemeral containers, empty lists). A policy may
pass or fail such an object; an evaluation error ("no such key") is a bug in the policy."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from policy_helpers import environment

from validator.policy import PolicyEngine
from validator.policy.library import load_builtin
from validator.policy.loader import PolicySet

MINIMAL_POD_SPEC: dict[str, Any] = {"containers": [{"name": "app", "image": "nginx"}]}
FULL_POD_SPEC: dict[str, Any] = {
    "initContainers": [{"name": "init", "image": "busybox:1.36"}],
    "containers": [
        {
            "name": "app",
            "image": "registry.example.com/app@sha256:" + "a" * 64,
            "ports": [{"containerPort": 8080}],
            "env": [
                {"name": "PLAIN", "value": "x"},
                {"name": "FROM_FIELD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            ],
            "envFrom": [{"configMapRef": {"name": "cfg"}}],
            "securityContext": {},
            "resources": {},
            "volumeMounts": [],
        }
    ],
    "ephemeralContainers": [{"name": "debug", "image": "busybox:1.36"}],
    "volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "cfg", "configMap": {"name": "cfg"}}],
    "securityContext": {},
    "hostAliases": [],
    "tolerations": [],
}
POD_SPECS = {"minimal": MINIMAL_POD_SPEC, "full": FULL_POD_SPEC}


def _template(spec: dict[str, Any], metadata: bool) -> dict[str, Any]:
    template: dict[str, Any] = {"spec": copy.deepcopy(spec)}
    if metadata:
        template["metadata"] = {"labels": {"app": "web"}}
    return template


def _workloads(variant: str, spec: dict[str, Any], metadata: bool) -> list[dict[str, Any]]:
    def obj(api: str, kind: str, body: dict[str, Any], name: str = "web") -> dict[str, Any]:
        return {"apiVersion": api, "kind": kind, "metadata": {"name": f"{name}-{variant}"}, **body}

    selector = {"matchLabels": {"app": "web"}}
    controller = {"selector": selector, "template": _template(spec, metadata)}
    pod_spec = copy.deepcopy(spec)
    if variant.startswith("minimal"):
        pod_spec.pop("ephemeralContainers", None)
    return [
        obj("v1", "Pod", {"spec": pod_spec}),
        obj("apps/v1", "Deployment", {"spec": controller}),
        obj("apps/v1", "StatefulSet", {"spec": {**controller, "serviceName": "web"}}),
        obj("apps/v1", "DaemonSet", {"spec": controller}),
        obj("apps/v1", "ReplicaSet", {"spec": controller}),
        obj("v1", "ReplicationController", {"spec": {"template": _template(spec, metadata)}}),
        obj("batch/v1", "Job", {"spec": {"template": _template(spec, metadata)}}),
        obj(
            "batch/v1",
            "CronJob",
            {
                "spec": {
                    "schedule": "0 * * * *",
                    "jobTemplate": {"spec": {"template": _template(spec, metadata)}},
                }
            },
        ),
    ]


OTHER_OBJECTS: list[dict[str, Any]] = [
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {}},
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web-ports"},
        "spec": {"ports": [{"port": 80}], "selector": {"app": "web"}},
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web"},
        "spec": {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}},
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web-rules"},
        "spec": {"rules": [{"host": "web.example.com"}]},
    },
    {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 3},
    },
    {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web"},
        "spec": {"selector": {}},
    },
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "aggregated"},
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"x": "y"}}]},
    },
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"}},
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "rb"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
    },
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "crb"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "x"},
        "subjects": [{"kind": "Group", "name": "devs", "apiGroup": "rbac.authorization.k8s.io"}],
    },
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "sa"}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque"},
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
]


def corpus() -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    for name, spec in POD_SPECS.items():
        for metadata in (False, True):
            variant = f"{name}-{'meta' if metadata else 'nometa'}"
            bodies.extend(_workloads(variant, spec, metadata))
    return bodies + OTHER_OBJECTS


@pytest.mark.parametrize("version", ["1.30", "1.33"])
def test_no_builtin_policy_errors_on_a_valid_object(version: str) -> None:
    engine = PolicyEngine(load_builtin(), PolicySet(), default_profile="all")
    env = environment(corpus(), version=version)
    outcomes = list(engine.outcomes(env))
    errors = sorted(
        {
            (policy, f"{resource.ref.kind}/{resource.ref.name}", f.message)
            for policy, resource, outcome in outcomes
            if outcome.result == "error"
            for f in outcome.findings
        }
    )
    assert errors == []
    evaluated = {policy for policy, _, outcome in outcomes if outcome.result != "skip"}
    assert len(evaluated) >= 40  # the corpus reaches (nearly) every policy in the library


def test_absent_template_metadata_is_judged_not_an_error() -> None:
    engine = PolicyEngine(load_builtin(), PolicySet(), default_profile="all")
    env = environment(corpus())
    results = {
        (policy, f"{resource.ref.kind}/{resource.ref.name}"): outcome.result
        for policy, resource, outcome in engine.outcomes(env)
    }
    # Issue 11: a Job whose pod template has no metadata passes the AppArmor policy...
    assert results[("restrict-apparmor-profiles", "Job/web-minimal-nometa")] == "pass"
    assert results[("restrict-apparmor-profiles", "CronJob/web-full-nometa")] == "pass"
    # ...and a selector that no template label can match fails (rather than erring).
    assert results[("require-selector-match-template", "Deployment/web-minimal-nometa")] == "fail"
    assert results[("require-selector-match-template", "Deployment/web-minimal-meta")] == "pass"
