"""Kyverno rule `match` / `exclude` (pkg/engine/utils/match.go, pkg/utils/match).

Offline there is no requesting user unless a test supplies userinfo: then subjects, roles and
clusterRoles are ignored in `match` and never match in `exclude`, as in the Kyverno CLI.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from validator.policy.kyverno.values import has_wildcard, wildcard_match
from validator.policy.matching import selector_matches

_VERSION = re.compile(r"^(v\d+((alpha|beta)\d+)?|\*)$")
_DESCRIPTION_KEYS = (
    "kinds",
    "name",
    "names",
    "namespaces",
    "annotations",
    "selector",
    "namespaceSelector",
    "operations",
)
_USER_KEYS = ("subjects", "roles", "clusterRoles")


@dataclass(frozen=True, slots=True)
class Request:
    """The admission request a rule is matched against."""

    body: Mapping[str, Any]
    operation: str
    namespace_labels: Mapping[str, Any]
    user: Mapping[str, Any] | None = None  # {roles, clusterRoles, userInfo{username, groups}}
    subresource: str = ""
    parent: tuple[str, str, str] | None = None  # (group, version, kind) of a subresource's parent

    @property
    def gvk(self) -> tuple[str, str, str]:
        if self.parent is not None:
            return self.parent
        group, _, version = str(self.body.get("apiVersion") or "").rpartition("/")
        return group, version, str(self.body.get("kind") or "")


def parse_kind_selector(text: str) -> tuple[str, str, str, str]:
    """(group, version, kind, subresource) from `Kind`, `v1/Kind`, `g/v/Kind`, `Kind/sub`."""
    parts = text.split("/")
    parts = [*parts[:-1], *parts[-1].split(".")]
    if len(parts) == 1:
        return "*", "*", parts[0], ""
    if len(parts) == 2:
        if parts == ["*", "*"]:
            return "*", "*", "*", "*"
        if parts[0] == "*" and parts[1].lower() == parts[1]:
            return "*", "*", parts[0], parts[1]
        if _VERSION.match(parts[0]):
            return "*", parts[0], parts[1], ""
        return "*", "*", parts[0], parts[1]
    if len(parts) == 3:
        if _VERSION.match(parts[0]):
            return "*", parts[0], parts[1], parts[2]
        return parts[0], parts[1], parts[2], ""
    if len(parts) == 4:
        return parts[0], parts[1], parts[2], parts[3]
    return "", "", "", ""


def kind_matches(kinds: Sequence[str], request: Request) -> bool:
    group, version, kind = request.gvk
    for selector in kinds:
        g, v, k, sub = parse_kind_selector(str(selector))
        if (
            wildcard_match(g, group)
            and wildcard_match(v, version)
            and wildcard_match(k, kind)
            and wildcard_match(sub, request.subresource)
        ):
            return True
    return False


def _metadata(body: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = body.get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def _selector(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """matchLabels with wildcards name the first matching label (Kyverno's ReplaceInSelector)."""
    match_labels = dict(selector.get("matchLabels") or {})
    expanded = {}
    for key, value in match_labels.items():
        key, value = str(key), str(value)
        if has_wildcard(key) or has_wildcard(value):
            found = next(
                (
                    (k, str(v))
                    for k, v in labels.items()
                    if wildcard_match(key, k) and wildcard_match(value, str(v))
                ),
                (
                    key.replace("*", "0").replace("?", "0"),
                    value.replace("*", "0").replace("?", "0"),
                ),
            )
            key, value = found
        expanded[key] = value
    return selector_matches({**selector, "matchLabels": expanded}, labels)


def _annotations(wanted: Mapping[str, Any], actual: Mapping[str, Any]) -> bool:
    for key, value in wanted.items():
        if not any(
            wildcard_match(str(key), str(k)) and wildcard_match(str(value), str(v))
            for k, v in actual.items()
        ):
            return False
    return True


def _description_matches(description: Mapping[str, Any], request: Request) -> bool:
    body = request.body
    metadata = _metadata(body)
    operations = description.get("operations") or []
    if operations and request.operation not in operations:
        return False
    if description.get("kinds") and not kind_matches(description["kinds"], request):
        return False
    name = str(metadata.get("name") or metadata.get("generateName") or "")
    if description.get("name") and not wildcard_match(str(description["name"]), name):
        return False
    names = description.get("names") or []
    if names and not any(wildcard_match(str(n), name) for n in names):
        return False
    namespaces = description.get("namespaces") or []
    namespace = str(metadata.get("namespace") or "")
    if body.get("kind") == "Namespace":
        namespace = name
    if namespaces and not any(wildcard_match(str(n), namespace) for n in namespaces):
        return False
    annotations = description.get("annotations")
    if annotations and not _annotations(annotations, metadata.get("annotations") or {}):
        return False
    selector = description.get("selector")
    if selector is not None and not _selector(selector, metadata.get("labels") or {}):
        return False
    namespace_selector = description.get("namespaceSelector")
    if namespace_selector is not None:
        if body.get("kind") == "Namespace":
            return False
        if not _selector(namespace_selector, request.namespace_labels):
            return False
    return True


def _user_matches(filter_: Mapping[str, Any], user: Mapping[str, Any] | None) -> bool:
    roles, cluster_roles = filter_.get("roles") or [], filter_.get("clusterRoles") or []
    subjects = filter_.get("subjects") or []
    if user is None:
        return not (roles or cluster_roles or subjects)
    if roles and not set(roles) & set(user.get("roles") or []):
        return False
    if cluster_roles and not set(cluster_roles) & set(user.get("clusterRoles") or []):
        return False
    return not subjects or _subjects(subjects, user.get("userInfo") or {})


def _subjects(subjects: Sequence[Any], info: Mapping[str, Any]) -> bool:
    username = str(info.get("username") or "")
    groups = [str(g) for g in info.get("groups") or []]
    for subject in subjects:
        if not isinstance(subject, Mapping):
            continue
        kind, name = subject.get("kind"), str(subject.get("name") or "")
        if kind == "ServiceAccount":
            if username == f"system:serviceaccount:{subject.get('namespace')}:{name}":
                return True
        elif (kind == "User" and wildcard_match(name, username)) or (
            kind == "Group" and any(wildcard_match(name, g) for g in groups)
        ):
            return True
    return False


def _filter_matches(filter_: Mapping[str, Any], request: Request, matching: bool) -> bool:
    description = filter_.get("resources") or {}
    has_user = any(filter_.get(k) for k in _USER_KEYS)
    if matching and request.user is None:
        has_user = False  # the CLI drops userInfo criteria when there is no userinfo
    if not any(description.get(k) for k in _DESCRIPTION_KEYS) and not has_user:
        return False  # "match cannot be empty"
    if not _description_matches(description, request):
        return False
    if has_user:
        return _user_matches(filter_, request.user)
    return True


def _filters(block: Mapping[str, Any]) -> tuple[str, list[Mapping[str, Any]]]:
    if block.get("any"):
        return "any", [f for f in block["any"] if isinstance(f, Mapping)]
    if block.get("all"):
        return "all", [f for f in block["all"] if isinstance(f, Mapping)]
    legacy = {k: block.get(k) for k in ("resources", *_USER_KEYS) if block.get(k)}
    return "one", [legacy] if legacy else []


def rule_matches(
    match: Mapping[str, Any] | None,
    exclude: Mapping[str, Any] | None,
    request: Request,
    policy_namespace: str | None = None,
) -> bool:
    if policy_namespace and policy_namespace != _metadata(request.body).get("namespace"):
        return False
    mode, filters = _filters(match or {})
    if not filters:
        return False
    results = [_filter_matches(f, request, True) for f in filters]
    if not (any(results) if mode == "any" else all(results)):
        return False
    mode, filters = _filters(exclude or {})
    if not filters:
        return True
    excluded = [_filter_matches(f, request, False) for f in filters]
    return not (all(excluded) if mode == "all" else any(excluded))
