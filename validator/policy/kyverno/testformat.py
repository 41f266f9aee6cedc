"""Kyverno CLI test manifests (`cli.kyverno.io/v1alpha1` Test, kyverno-test.yaml).

Scored like `kyverno test` (reference/kyverno-classic-anchors.md §10) with one deliberate
difference: an expectation the tool cannot check (unknown policy, rule or resource, a mutate
rule, a payload kind it does not run) is a failure with the reason, never a pass.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from validator.model import RenderedEnvironment, Resource, ResourceRef
from validator.policy.errors import PolicyError
from validator.policy.kyverno import testvalues
from validator.policy.loader import PolicySet, load_policy_files, read_yaml_documents
from validator.policy.matching import BUILTIN_RESOURCES

API = "cli.kyverno.io/"
_FIELDS = {
    "apiVersion",
    "kind",
    "metadata",
    "policies",
    "resources",
    "variables",
    "values",
    "userinfo",
    "results",
    "exceptions",
    "context",
    "clusterResources",
    "apiCallResponses",
    "paramResources",
}
_NOT_RUN = (
    "jsonPayload",
    "jsonPayloads",
    "httpPayloads",
    "envoyPayloads",
    "targetResources",
    "globalContextEntries",
)
_RESULT_FIELDS = {
    "policy",
    "rule",
    "resources",
    "kind",
    "result",
    "operation",
    "namespace",
    "patchedResources",
    "generatedResource",
    "generatedResources",
    "cloneSourceResource",
    "failOnMissingResources",
    "isValidatingAdmissionPolicy",
    "isMutatingAdmissionPolicy",
    "isValidatingPolicy",
    "isDeletingPolicy",
    "isImageValidatingPolicy",
    "isGeneratingPolicy",
    "isMutatingPolicy",
}
_NOT_VALIDATION = (
    "patchedResources",
    "generatedResource",
    "generatedResources",
    "cloneSourceResource",
    "isMutatingAdmissionPolicy",
    "isDeletingPolicy",
    "isImageValidatingPolicy",
    "isGeneratingPolicy",
    "isMutatingPolicy",
)
_CLUSTER_SCOPED = {
    kind for (_, kind), (_, namespaced) in BUILTIN_RESOURCES.items() if not namespaced
} | {"ClusterPolicy", "ClusterRole", "ClusterRoleBinding"}
RESULTS = ("pass", "fail", "skip", "warn", "error")


def _paths(items: Any, base: Path, where: str, what: str) -> list[Path]:
    if items is None:
        return []
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list):
        raise PolicyError(f"{where}: {what} must list files")
    paths = []
    for item in items:
        if not isinstance(item, str):
            raise PolicyError(f"{where}: {what} must list file paths")
        if "://" in item:
            raise PolicyError(f"{where}: {what} {item!r} is a URL: not available offline")
        path = base / item
        if not path.exists():
            raise PolicyError(f"{where}: {what} file {item!r} not found")
        paths.append(path)
    return paths


def _objects(paths: Sequence[Path]) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for path in paths:
        files = (
            sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
            if path.is_dir()
            else [path]
        )
        for file in files:
            out.extend(read_yaml_documents(file))
    return out


def _with_namespace(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The Kyverno CLI gives namespaced objects without a namespace the `default` one."""
    metadata = body.get("metadata")
    if body.get("kind") in _CLUSTER_SCOPED or not isinstance(metadata, Mapping):
        return body
    if metadata.get("namespace"):
        return body
    return {**body, "metadata": {**metadata, "namespace": "default"}}


def _unique(bodies: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    seen: set[str] = set()
    out = []
    for body in bodies:
        key = json.dumps(body, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            out.append(body)
    return out


class KyvernoTests:
    def claims(self, body: Mapping[str, Any]) -> bool:
        return str(body.get("apiVersion") or "").startswith(API) and body.get("kind") == "Test"

    def run(self, body: Mapping[str, Any], file: Path) -> tuple[list[Any], list[str]]:
        from validator.policy.kyverno.testrun import run_test

        name = str((body.get("metadata") or {}).get("name") or file.stem)
        where = f"{file}: Test {name!r}"
        testvalues.check_fields(body, _FIELDS | set(_NOT_RUN), where)
        not_run = [f for f in _NOT_RUN if body.get(f)]
        if not_run:
            raise PolicyError(f"{where}: {not_run[0]} tests are not supported")
        base = file.parent
        policy_files = _paths(body.get("policies"), base, where, "policies")
        if not policy_files:
            raise PolicyError(f"{where}: 'policies' must list policy files")
        exception_files = _paths(body.get("exceptions"), base, where, "exceptions")
        policies: PolicySet = load_policy_files([*policy_files, *exception_files])
        values = dict(body.get("values") or {})
        for document in _objects(_paths(body.get("variables"), base, where, "variables")):
            values.update(document)
        user = _objects(_paths(body.get("userinfo"), base, where, "userinfo"))
        resources = _unique(
            [
                _with_namespace(b)
                for b in _objects(_paths(body.get("resources"), base, where, "resources"))
            ]
        )
        cluster = _objects(_paths(body.get("clusterResources"), base, where, "clusterResources"))
        params = _objects(_paths(body.get("paramResources"), base, where, "paramResources"))
        context = _objects(_paths(body.get("context"), base, where, "context"))
        responses = {}
        for entry in body.get("apiCallResponses") or []:
            if isinstance(entry, Mapping):
                request = entry.get("request") or {}
                url = str(
                    request.get("urlPath")
                    or request.get("url")
                    or entry.get("urlPath")
                    or entry.get("url")
                )
                response = entry.get("response") or {}
                status = int(response.get("statusCode") or 200)
                responses[url] = {"status": status, "body": response.get("body", entry.get("body"))}
        return run_test(
            name=name,
            file=file,
            where=where,
            policies=policies,
            values=values,
            user=testvalues.user_info(user[0] if user else None),
            resources=resources,
            cluster=[*_unwrapped(cluster), *_context_objects(context)],
            params=params,
            responses=responses,
            images=_context_images(context),
            results=self._results(body.get("results"), where),
        )

    def _results(self, raw: Any, where: str) -> list[Mapping[str, Any]]:
        if not isinstance(raw, list) or not raw:
            raise PolicyError(f"{where}: no expected results")
        out = []
        for entry in raw:
            if not isinstance(entry, Mapping):
                raise PolicyError(f"{where}: results must be mappings")
            unknown = sorted(set(entry) - _RESULT_FIELDS)
            if unknown:
                raise PolicyError(
                    f"{where}: result field(s) {', '.join(unknown)} are not "
                    "supported (use 'resources')"
                )
            if entry.get("result") not in RESULTS:
                raise PolicyError(f"{where}: result must be one of {', '.join(RESULTS)}")
            out.append(entry)
        return out


def _unwrapped(documents: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """clusterResources files hold objects, or `kind: ClusterResource` lists of them."""
    out: list[Mapping[str, Any]] = []
    for document in documents:
        if document.get("kind") == "ClusterResource" and str(
            document.get("apiVersion", "")
        ).startswith(API):
            out.extend(_context_objects([document]))
        else:
            out.append(document)
    return out


def _context_objects(documents: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """A CEL test context (kind Context): spec.resources serve resource.Get/List."""
    return [
        r
        for d in documents
        for r in (d.get("spec") or {}).get("resources") or []
        if isinstance(r, Mapping)
    ]


def _context_images(documents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """spec.images of a test context answer image.GetMetadata for those images."""
    return {
        str(i["image"]): {k: v for k, v in i.items() if k != "image"}
        for d in documents
        for i in (d.get("spec") or {}).get("images") or []
        if isinstance(i, Mapping) and i.get("image")
    }


def resources_of(bodies: Sequence[Mapping[str, Any]], environment: str) -> tuple[Resource, ...]:
    return tuple(Resource(ResourceRef.of(b), b, environment) for b in bodies)


def environment(name: str, bodies: Sequence[Mapping[str, Any]]) -> RenderedEnvironment:
    return RenderedEnvironment(
        name=name, kubernetes_version="1.33", resources=resources_of(bodies, name)
    )


KYVERNO_TESTS = KyvernoTests()
