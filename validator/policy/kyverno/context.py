"""The JSON context a Kyverno rule reads: request, images, values and context entries.

Context entries resolve offline only from what the repository (or the test) holds: `variable`
always, `configMap` from ConfigMaps among the objects, `apiCall` GETs of `urlPath` from the
objects (or a test's mocked responses). The rest was reported when the policy was loaded.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

from validator.policy.kyverno.images import images_of
from validator.policy.kyverno.jp import JMESPathError, NotFoundError, search
from validator.policy.kyverno.variables import VariableError, substitute
from validator.policy.matching import BUILTIN_RESOURCES

_PLURALS = {(g, plural): kind for (g, kind), (plural, _) in BUILTIN_RESOURCES.items()}
_URL = re.compile(
    r"^/(?:api/(?P<cv>[^/]+)|apis/(?P<g>[^/]+)/(?P<v>[^/]+))"
    r"(?:/namespaces/(?P<ns>[^/]+))?/(?P<plural>[^/?]+)(?:/(?P<name>[^/?]+))?(?:\?.*)?$"
)


_DOTTED = re.compile(r'"[^"]*"|[^.]+')


class ContextError(ValueError):
    pass


def set_dotted(target: dict[str, Any], key: str, value: Any, merge: bool = False) -> None:
    """Values files name keys with dots: `request.operation: UPDATE`."""
    parts = [p.strip('"') for p in _DOTTED.findall(key)] or [key]
    node = target
    for part in parts[:-1]:
        child = node.get(part)
        # Copied on the way down: the context shares the resource's own dicts.
        child = node[part] = dict(child) if isinstance(child, Mapping) else {}
        node = child
    existing = node.get(parts[-1])
    if merge and isinstance(existing, Mapping) and isinstance(value, Mapping):
        value = _merged(existing, value)  # values merge into the context (entries replace)
    node[parts[-1]] = value


def _merged(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        current = out.get(key)
        out[key] = (
            _merged(current, value)
            if isinstance(current, Mapping) and isinstance(value, Mapping)
            else value
        )
    return out


def base_context(
    body: Mapping[str, Any] | None,
    old_body: Mapping[str, Any] | None,
    operation: str,
    user: Mapping[str, Any] | None,
) -> dict[str, Any]:
    subject = body if body is not None else old_body or {}
    metadata = subject.get("metadata") if isinstance(subject.get("metadata"), Mapping) else {}
    request: dict[str, Any] = {
        # Shared, not copied: nothing in a rule evaluation writes into the objects.
        "object": body if operation != "DELETE" else None,
        "oldObject": old_body,
        "operation": operation,
        "namespace": (metadata or {}).get("namespace"),
    }
    context: dict[str, Any] = {"request": request, "images": images_of(subject)}
    if user is not None:
        info = user.get("userInfo") or {}
        request["userInfo"] = dict(info)
        request["roles"] = list(user.get("roles") or [])
        request["clusterRoles"] = list(user.get("clusterRoles") or [])
        username = str(info.get("username") or "")
        if username.startswith("system:serviceaccount:"):
            namespace, _, name = username.removeprefix("system:serviceaccount:").partition(":")
            context["serviceAccountName"] = name
            context["serviceAccountNamespace"] = namespace
    return context


def _resolve_value(entry: Mapping[str, Any], context: Mapping[str, Any], delete: bool) -> Any:
    spec = entry.get("variable") or {}
    default = substitute(spec.get("default"), context, delete)
    value = substitute(spec.get("value"), context, delete) if "value" in spec else None
    path = spec.get("jmesPath")
    if path:
        path = substitute(str(path), context, delete)
        try:
            value = search(path, value if "value" in spec else context)
        except (NotFoundError, JMESPathError) as error:
            if default is None:
                raise ContextError(f"variable {entry.get('name')!r}: {error}") from None
            value = None
    if value is None:
        value = default
    if value is None:
        raise ContextError(f"variable {entry.get('name')!r} resolved to null")
    return value


def _config_map(
    entry: Mapping[str, Any],
    context: Mapping[str, Any],
    objects: Sequence[Mapping[str, Any]],
    delete: bool,
) -> Any:
    spec = substitute(entry.get("configMap") or {}, context, delete)
    name, namespace = str(spec.get("name") or ""), str(spec.get("namespace") or "default")
    for body in objects:
        metadata = body.get("metadata") or {}
        if (
            body.get("kind") == "ConfigMap"
            and metadata.get("name") == name
            and (metadata.get("namespace") or "default") == namespace
        ):
            return copy.deepcopy(dict(body))
    raise ContextError(
        f"context entry {entry.get('name')!r}: ConfigMap {namespace}/{name} is not among "
        "the repository's objects"
    )


def _plural_of(kind: str, plural: str) -> bool:
    lowered = kind.lower()
    return plural in (lowered + "s", lowered + "es", lowered[:-1] + "ies")


def api_get(url: str, objects: Sequence[Mapping[str, Any]]) -> Any:
    """A GET answered from the objects: one object or a list of them."""
    match = _URL.match(url)
    if match is None:
        raise ContextError(f"apiCall urlPath {url!r} cannot be answered offline")
    group = match.group("g") or ""
    version = match.group("cv") or match.group("v")
    api_version = f"{group}/{version}" if group else str(version)
    kind = _PLURALS.get((group, match.group("plural")))
    found = []
    for body in objects:
        metadata = body.get("metadata") or {}
        if body.get("apiVersion") != api_version:
            continue
        if kind is not None and body.get("kind") != kind:
            continue
        if kind is None and not _plural_of(str(body.get("kind", "")), match.group("plural")):
            continue
        if match.group("ns") and (metadata.get("namespace") or "default") != match.group("ns"):
            continue
        found.append(copy.deepcopy(dict(body)))
    if match.group("name"):
        named = [b for b in found if (b.get("metadata") or {}).get("name") == match.group("name")]
        if not named:
            raise ContextError(f"apiCall {url!r}: the object is not among the repository's")
        return named[0]
    return {"apiVersion": "v1", "kind": "List", "items": found, "metadata": {}}


def _api_call(
    entry: Mapping[str, Any],
    context: Mapping[str, Any],
    objects: Sequence[Mapping[str, Any]],
    responses: Mapping[str, Any],
    delete: bool,
) -> Any:
    spec = substitute(entry.get("apiCall") or {}, context, delete)
    url = str(spec.get("urlPath") or (spec.get("service") or {}).get("url") or "")
    method = str(spec.get("method") or "GET")
    if url in responses:
        mocked = responses[url]
        if not 200 <= int(mocked.get("status", 200)) < 300:
            raise ContextError(f"apiCall {url!r}: the mocked response is HTTP {mocked['status']}")
        data = mocked.get("body")
    elif spec.get("service"):
        raise ContextError(f"apiCall {url!r} calls a service: not available offline")
    elif method != "GET":
        raise ContextError(f"apiCall {method} {url!r} cannot be answered offline")
    else:
        data = api_get(url, objects)
    path = spec.get("jmesPath")
    if path:
        try:
            data = search(str(path), data)
        except (NotFoundError, JMESPathError) as error:
            if spec.get("default") is None:
                raise ContextError(f"apiCall {entry.get('name')!r}: {error}") from None
            data = None
    return spec.get("default") if data is None else data


def load_entries(
    entries: Sequence[Any],
    context: dict[str, Any],
    objects: Sequence[Mapping[str, Any]],
    provided: set[str],
    responses: Mapping[str, Any] | None = None,
    delete: bool = False,
) -> None:
    """Load each entry into `context`, in order; names a test's values provide are kept."""
    for entry in entries or []:
        name = str(entry.get("name") or "")
        if name in provided:
            continue
        try:
            if "variable" in entry:
                value = _resolve_value(entry, context, delete)
            elif "configMap" in entry:
                value = _config_map(entry, context, objects, delete)
            elif "apiCall" in entry:
                value = _api_call(entry, context, objects, responses or {}, delete)
            else:
                kind = next(iter(k for k in entry if k != "name"), "?")
                raise ContextError(f"context entry {name!r} ({kind}) is not available offline")
        except VariableError as error:
            raise ContextError(f"context entry {name!r}: {error}") from None
        set_dotted(context, name, value)
