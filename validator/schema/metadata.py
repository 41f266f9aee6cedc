"""Object names, label and annotation keys, label values: the API server's syntax rules
(k8s.io/apimachinery/pkg/util/validation), which a JSON schema cannot express."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from validator.schema.paths import PathPart, json_pointer, prefixed

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_LABEL_MAX = 63
_SUBDOMAIN_MAX = 253

Problem = tuple[str, str]  # (JSON pointer, message)


def _dns1123_label(value: str) -> str | None:
    if len(value) > _LABEL_MAX:
        return f"must be no more than {_LABEL_MAX} characters"
    if not _DNS1123_LABEL.fullmatch(value):
        return (
            "must be a DNS-1123 label: lower case letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return None


def _dns1035_label(value: str) -> str | None:
    if len(value) > _LABEL_MAX:
        return f"must be no more than {_LABEL_MAX} characters"
    if not _DNS1035_LABEL.fullmatch(value):
        return (
            "must be a DNS-1035 label: lower case letters, digits and '-', "
            "starting with a letter and ending with a letter or digit"
        )
    return None


def _dns1123_subdomain(value: str) -> str | None:
    if len(value) > _SUBDOMAIN_MAX:
        return f"must be no more than {_SUBDOMAIN_MAX} characters"
    if not _DNS1123_SUBDOMAIN.fullmatch(value):
        return (
            "must be a DNS-1123 subdomain: lower case letters, digits, '-' and '.', "
            "starting and ending with a letter or digit"
        )
    return None


def _path_segment(value: str) -> str | None:
    if value in (".", ".."):
        return f"may not be {value!r}"
    for forbidden in ("/", "%"):
        if forbidden in value:
            return f"may not contain {forbidden!r}"
    return None


# The validator the API server applies to metadata.name, per (group, kind); default subdomain.
_NAME_RULES = {
    ("", "Namespace"): _dns1123_label,
    ("", "Service"): _dns1035_label,
    ("rbac.authorization.k8s.io", "Role"): _path_segment,
    ("rbac.authorization.k8s.io", "ClusterRole"): _path_segment,
    ("rbac.authorization.k8s.io", "RoleBinding"): _path_segment,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): _path_segment,
}
_NAME_MAX_LENGTH = {("batch", "CronJob"): 52}  # the Job name suffix must still fit a label


def check_name(group: str, kind: str, name: str) -> str | None:
    """Why `name` is not a valid metadata.name for the kind, or None when it is."""
    limit = _NAME_MAX_LENGTH.get((group, kind))
    if limit is not None and len(name) > limit:
        return f"must be no more than {limit} characters"
    return _NAME_RULES.get((group, kind), _dns1123_subdomain)(name)


def check_qualified_key(key: str) -> str | None:
    """Label and annotation keys: optional DNS-1123 subdomain prefix, '/', a name ≤ 63 chars."""
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return "prefix part must be non-empty"
    if slash:
        problem = _dns1123_subdomain(prefix)
        if problem:
            return f"prefix part {problem}"
    if not name:
        return "name part must be non-empty"
    if len(name) > _LABEL_MAX:
        return f"name part must be no more than {_LABEL_MAX} characters"
    if not _QUALIFIED_NAME.fullmatch(name):
        return (
            "name part must consist of alphanumeric characters, '-', '_' or '.', "
            "and must start and end with an alphanumeric character"
        )
    return None


def check_label_value(value: str) -> str | None:
    if len(value) > _LABEL_MAX:
        return f"must be no more than {_LABEL_MAX} characters"
    if not _LABEL_VALUE.fullmatch(value):
        return (
            "must be empty or consist of alphanumeric characters, '-', '_' or '.', "
            "and must start and end with an alphanumeric character"
        )
    return None


_VALID_KEYS: set[str] = set()
_VALID_VALUES: set[str] = set()
_VALID_NAMESPACES: set[str] = set()
_CACHE_LIMIT = 100_000


def _remember(cache: set[str], value: str) -> None:
    if len(cache) < _CACHE_LIMIT:
        cache.add(value)


def _key_valid(key: Any) -> bool:
    if key in _VALID_KEYS:
        return True
    if not isinstance(key, str) or check_qualified_key(key):
        return False
    _remember(_VALID_KEYS, key)
    return True


def _labels_valid(labels: dict[Any, Any]) -> bool:
    """True when every key and value is valid; plain-set caches because label keys and values
    repeat across thousands of objects and this runs for every label of every object."""
    for key, value in labels.items():
        if not _key_valid(key):
            return False
        if isinstance(value, str) and value not in _VALID_VALUES:
            if check_label_value(value):
                return False
            _remember(_VALID_VALUES, value)
    return True


def check_labels(labels: Any, parts: list[PathPart]) -> list[Problem]:
    """Label keys and values at `parts`; the value is never quoted (labels may be long)."""
    if not isinstance(labels, dict) or _labels_valid(labels):
        return []  # the common case, answered from the caches without building paths
    problems = []
    for key, value in labels.items():
        key_problem = check_qualified_key(str(key))
        where = [*parts, str(key)]
        if key_problem:
            problems.append(
                (json_pointer(where), prefixed(parts, f"label key {key!r}: {key_problem}"))
            )
        value_problem = check_label_value(value) if isinstance(value, str) else None
        if value_problem:
            problems.append((json_pointer(where), prefixed(where, f"label value {value_problem}")))
    return problems


def check_annotation_keys(annotations: Any, parts: list[PathPart]) -> list[Problem]:
    if not isinstance(annotations, dict):
        return []
    return [
        (
            json_pointer([*parts, str(key)]),
            prefixed(parts, f"annotation key {key!r}: {check_qualified_key(str(key))}"),
        )
        for key in annotations
        if not _key_valid(key)
    ]


def _check_namespace(namespace: str) -> list[Problem]:
    if namespace in _VALID_NAMESPACES:
        return []
    problem = _dns1123_label(namespace)
    if problem:
        return [("/metadata/namespace", f"metadata.namespace {namespace!r} {problem}")]
    _remember(_VALID_NAMESPACES, namespace)
    return []


def check_metadata(group: str, kind: str, body: Mapping[str, Any]) -> list[Problem]:
    metadata = body.get("metadata")
    if not isinstance(metadata, dict):
        return []
    problems: list[Problem] = []
    name = metadata.get("name")
    if isinstance(name, str) and name:
        name_problem = check_name(group, kind, name)
        if name_problem:
            problems.append(("/metadata/name", f"metadata.name {name!r} {name_problem}"))
    elif not metadata.get("generateName"):
        problems.append(("/metadata", "metadata: missing required field 'name'"))
    namespace = metadata.get("namespace")
    if isinstance(namespace, str) and namespace:
        problems += _check_namespace(namespace)
    problems += check_labels(metadata.get("labels"), ["metadata", "labels"])
    problems += check_annotation_keys(metadata.get("annotations"), ["metadata", "annotations"])
    return problems
