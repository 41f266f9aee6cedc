"""Gatekeeper and conftest policies for the benchmark: the same two rules in Rego and in CEL.

`gatekeeper(prefer_rego)` gives a Gatekeeper family (a required-labels template carrying both
engines, and a no-privileged template in Rego with a library); `conftest()` the same two rules
as conftest deny rules.
"""

from __future__ import annotations

from typing import Any

import yaml_rs

from validator.policy.conftest.family import ConftestFamily
from validator.policy.conftest.policy import ConftestPolicies
from validator.policy.gatekeeper.family import GatekeeperFamily, load_gatekeeper
from validator.policy.rego.engine import Module

LABELS_TEMPLATE = """
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: benchlabels}
spec:
  crd:
    spec:
      names: {kind: BenchLabels}
      validation:
        openAPIV3Schema:
          type: object
          properties:
            labels: {type: array, items: {type: string}}
  targets:
    - target: admission.k8s.gatekeeper.sh
      code:
        - engine: K8sNativeValidation
          source:
            validations:
              - expression: >-
                  variables.params.labels.all(l, has(object.metadata.labels) &&
                  l in object.metadata.labels)
                messageExpression: '"missing labels: " + variables.params.labels.join(", ")'
        - engine: Rego
          source:
            rego: |
              package benchlabels
              violation[{"msg": msg}] {
                provided := {l | input.review.object.metadata.labels[l]}
                required := {l | l := input.parameters.labels[_]}
                missing := required - provided
                count(missing) > 0
                msg := sprintf("missing labels: %v", [missing])
              }
"""

PRIVILEGED_TEMPLATE = """
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: benchprivileged}
spec:
  crd:
    spec:
      names: {kind: BenchPrivileged}
  targets:
    - target: admission.k8s.gatekeeper.sh
      code:
        - engine: K8sNativeValidation
          source:
            validations:
              - expression: >-
                  !has(object.spec.template) || object.spec.template.spec.containers.all(c,
                  !has(c.securityContext) || !has(c.securityContext.privileged) ||
                  !c.securityContext.privileged)
                message: privileged container
        - engine: Rego
          source:
            rego: |
              package benchprivileged
              import data.lib.bench.containers
              violation[{"msg": msg}] {
                c := containers[_]
                c.securityContext.privileged
                msg := sprintf("container <%v> is privileged", [c.name])
              }
            libs:
              - |
                package lib.bench
                containers[c] { c := input.review.object.spec.template.spec.containers[_] }
"""

CONSTRAINTS = """
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: BenchLabels
metadata: {name: need-team}
spec:
  match: {kinds: [{apiGroups: [apps], kinds: [Deployment]}]}
  parameters: {labels: [team]}
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: BenchPrivileged
metadata: {name: no-privileged}
spec:
  match: {kinds: [{apiGroups: [apps], kinds: [Deployment]}]}
"""

CONFTEST = """package main
import rego.v1

deny contains msg if {
    input.kind == "Deployment"
    not input.metadata.labels.team
    msg := "missing labels: team"
}

deny_privileged contains msg if {
    some c in input.spec.template.spec.containers
    c.securityContext.privileged
    msg := sprintf("container <%v> is privileged", [c.name])
}
"""


def _documents(text: str) -> list[dict[str, Any]]:
    loaded = yaml_rs.loads(text, parse_datetime=False)
    return loaded if isinstance(loaded, list) else [loaded]


def gatekeeper(prefer_rego: bool) -> GatekeeperFamily:
    bodies = [
        *_documents(LABELS_TEMPLATE),
        *_documents(PRIVILEGED_TEMPLATE),
        *_documents(CONSTRAINTS),
    ]
    policies = load_gatekeeper((body, "bench") for body in bodies)
    return GatekeeperFamily(policies, prefer_rego=prefer_rego)


def conftest() -> ConftestFamily:
    return ConftestFamily(ConftestPolicies([Module("bench.rego", CONFTEST)]))
