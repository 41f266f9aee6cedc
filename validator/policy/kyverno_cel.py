"""Kyverno's CEL libraries for Kyverno policy kinds (ValidatingPolicy, ClusterPolicy
validate.cel), offline.

`resource.Get/List` answer from the environment's objects (or a test's), `time.now()`,
`parseServiceAccount` and `image(...)` parsing run locally. `http.*`, `globalContext.*` and
registry lookups (`image.GetMetadata`) need the network or a cluster: they compile, and their
evaluation is an error that says they are not available offline.

The library variables (`resource`, `http`, ...) hold a small handle; the objects live in
`_STORES` under it, so an activation never copies the environment's objects.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from validator.policy.cel_decl import MAP, T, decl
from validator.policy.matching import BUILTIN_RESOURCES

LIBRARY_VARIABLES = ("resource", "http", "globalContext", "image", "time")
_STORES: dict[str, Sequence[Mapping[str, Any]]] = {}
_IMAGES: dict[str, Mapping[str, Any]] = {}  # image metadata a test's context.yaml supplies
_PLURALS = {(group, plural): kind for (group, kind), (plural, _) in BUILTIN_RESOURCES.items()}
CLOCK: list[Any] = [lambda: datetime.datetime.now(datetime.UTC)]


class OfflineError(ValueError):
    pass


_MAX_STORES = 256


def register(
    objects: Sequence[Mapping[str, Any]], images: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A handle for `objects` to put in an activation's library variables. The same list gets
    the same handle; the oldest stores are dropped beyond a bound."""
    key = f"store-{id(objects)}"
    if key not in _STORES:
        while len(_STORES) >= _MAX_STORES:
            _STORES.pop(next(iter(_STORES)))
    _STORES[key] = objects  # holding the list keeps its id from being reused while stored
    if images:
        _IMAGES[key] = images
    return {"store": key}


def library_values(handle: Mapping[str, Any]) -> dict[str, Any]:
    return dict.fromkeys(LIBRARY_VARIABLES, handle)


def _objects(handle: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    return _STORES.get(str(handle.get("store")), ())


def _kind_matches(body: Mapping[str, Any], api_version: str, plural: str) -> bool:
    if body.get("apiVersion") != api_version:
        return False
    group = api_version.rpartition("/")[0]
    kind = _PLURALS.get((group, plural))
    if kind is not None:
        return body.get("kind") == kind
    lowered = str(body.get("kind", "")).lower()
    return plural in (lowered + "s", lowered + "es", lowered[:-1] + "ies", lowered)


def _list(handle: Any, api_version: str, plural: str, namespace: str) -> dict[str, Any]:
    items = [
        dict(b)
        for b in _objects(handle)
        if _kind_matches(b, api_version, plural)
        and (not namespace or (b.get("metadata") or {}).get("namespace") == namespace)
    ]
    return {"apiVersion": api_version, "kind": "List", "items": items}


def _get(handle: Any, api_version: str, plural: str, namespace: str, name: str) -> Any:
    for body in _list(handle, api_version, plural, namespace)["items"]:
        if (body.get("metadata") or {}).get("name") == name:
            return body
    where = f"{namespace}/{name}" if namespace else name
    raise OfflineError(f"resource.Get: {plural} {where} is not among the repository's objects")


def _image_metadata(handle: Any, image: str) -> Any:
    known = _IMAGES.get(str(handle.get("store")), {})
    if image in known:
        return known[image]
    raise OfflineError("image.GetMetadata needs a registry lookup: not available offline")


def _unavailable(what: str) -> Any:
    def fail(*_: Any) -> Any:
        raise OfflineError(f"{what} is not available offline")

    return fail


def _service_account(text: str) -> dict[str, str]:
    parts = text.split(":")
    if len(parts) == 4 and parts[:2] == ["system", "serviceaccount"]:
        return {"Namespace": parts[2], "Name": parts[3]}
    return {"Namespace": "", "Name": ""}


def declarations() -> list[Any]:
    s, d = T.STRING, T.DYN
    return [
        decl(
            "Get",
            ("kyv_resource_get", d, [MAP, s, s, s, s], True, _get),
            ("kyv_gctx_get", d, [MAP, s, s], True, _unavailable("globalContext.Get")),
            ("kyv_http_get", d, [MAP, s], True, _unavailable("http.Get")),
            ("kyv_http_get_h", d, [MAP, s, MAP], True, _unavailable("http.Get")),
        ),
        decl("List", ("kyv_resource_list", MAP, [MAP, s, s, s], True, _list)),
        # Older Kyverno policies spell them in lower case.
        decl("get", ("kyv_resource_get_lc", d, [MAP, s, s, s, s], True, _get)),
        decl("list", ("kyv_resource_list_lc", MAP, [MAP, s, s, s], True, _list)),
        decl(
            "Post",
            ("kyv_http_post", d, [MAP, s, MAP], True, _unavailable("http.Post")),
            ("kyv_http_post_s", d, [MAP, s, s], True, _unavailable("http.Post")),
            ("kyv_http_post_h", d, [MAP, s, MAP, MAP], True, _unavailable("http.Post")),
        ),
        decl("Client", ("kyv_http_client", MAP, [MAP, s], True, _unavailable("http.Client"))),
        decl(
            "GetMetadata",
            ("kyv_image_metadata", d, [MAP, s], True, _image_metadata),
        ),
        decl("now", ("kyv_time_now", T.TIMESTAMP, [MAP], True, lambda _: CLOCK[0]())),
        decl("parseServiceAccount", ("kyv_parse_sa", MAP, [s], False, _service_account)),
    ]


# Functions only Kyverno policy kinds may call (the API server does not know them).
FUNCTIONS = frozenset({"Get", "List", "get", "list", "Post", "Client", "GetMetadata", "now",
                       "parseServiceAccount"})  # fmt: skip
