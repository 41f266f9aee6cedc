"""Flux objects as plain dicts: which ones matter, what they reference, which source is ours.

Shared by discovery (which reads source files) and the expansion (which reads rendered output).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/"
KUSTOMIZE_VERSIONS = ("v1", "v1beta2")
HELM_API = "helm.toolkit.fluxcd.io/"
HELM_VERSIONS = ("v2", "v2beta2", "v2beta1")
SOURCE_API = "source.toolkit.fluxcd.io/"
# What `flux bootstrap` names the GitRepository of the repository it writes to.
BOOTSTRAP_SOURCE = "flux-system"


@dataclass(frozen=True, slots=True, order=True)
class ObjectKey:
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"


def _api(body: Mapping[str, Any], group: str, versions: tuple[str, ...]) -> bool:
    api_version = str(body.get("apiVersion") or "")
    return api_version.startswith(group) and api_version[len(group) :] in versions


def is_flux_kustomization(body: Any) -> bool:
    return (
        isinstance(body, Mapping)
        and body.get("kind") == "Kustomization"
        and _api(body, KUSTOMIZE_API, KUSTOMIZE_VERSIONS)
    )


def is_helm_release(body: Any) -> bool:
    return (
        isinstance(body, Mapping)
        and body.get("kind") == "HelmRelease"
        and _api(body, HELM_API, HELM_VERSIONS)
    )


def is_source(body: Any, kind: str) -> bool:
    return (
        isinstance(body, Mapping)
        and body.get("kind") == kind
        and str(body.get("apiVersion") or "").startswith(SOURCE_API)
    )


def metadata(body: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = body.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def spec(body: Mapping[str, Any]) -> Mapping[str, Any]:
    value = body.get("spec")
    return value if isinstance(value, Mapping) else {}


def key_of(body: Mapping[str, Any], default_namespace: str = "default") -> ObjectKey:
    meta = metadata(body)
    namespace = str(meta.get("namespace") or default_namespace)
    return ObjectKey(str(body.get("kind") or ""), namespace, str(meta.get("name") or ""))


def source_ref(body: Mapping[str, Any], field: str = "sourceRef") -> ObjectKey | None:
    """The object's `spec.sourceRef` (namespace defaults to the object's own)."""
    ref = spec(body).get(field)
    if not isinstance(ref, Mapping) or not ref.get("name"):
        return None
    own = str(metadata(body).get("namespace") or BOOTSTRAP_SOURCE)
    return ObjectKey(str(ref.get("kind") or ""), str(ref.get("namespace") or own), str(ref["name"]))


def kustomization_path(body: Mapping[str, Any]) -> str:
    """`spec.path` relative to the source root, as Flux reads it ('' = the root)."""
    path = str(spec(body).get("path") or "")
    return path.strip().removeprefix("./").strip("/") if path.strip() not in ("", ".", "./") else ""


def implied_bootstrap_root(entry: str) -> dict[str, Any] | None:
    """The Kustomization `flux bootstrap --path=<dir>` writes into <dir>/flux-system/gotk-sync.yaml,
    for a repository that holds only the placeholder (examples do, until bootstrap runs)."""
    parts = entry.split("/")
    if len(parts) < 3 or parts[-2:] != ["flux-system", "gotk-sync.yaml"]:
        return None
    return {
        "apiVersion": KUSTOMIZE_API + "v1",
        "kind": "Kustomization",
        "metadata": {"name": BOOTSTRAP_SOURCE, "namespace": BOOTSTRAP_SOURCE},
        "spec": {
            "path": "./" + "/".join(parts[:-2]),
            "sourceRef": {"kind": "GitRepository", "name": BOOTSTRAP_SOURCE},
        },
    }


# --- is a GitRepository this repository? ------------------------------------------------------

_SCP_LIKE = re.compile(r"^(?:[\w.-]+@)?([\w.-]+):(?!//)(.+)$")


def normalized_url(url: str) -> str:
    """host/path of a git URL, whatever its scheme, user, port or `.git` suffix."""
    url = url.strip()
    scp = _SCP_LIKE.match(url)
    if scp and "://" not in url:
        host, path = scp.groups()
    else:
        rest = url.split("://", 1)[-1]
        host, _, path = rest.partition("/")
        host = host.rsplit("@", 1)[-1].split(":", 1)[0]
    return f"{host.lower()}/{path.strip('/').removesuffix('.git').lower()}"


def git_remotes(repo_root: Path) -> frozenset[str]:
    """Normalised URLs of the repository's remotes, read from .git/config (no git needed)."""
    config = repo_root / ".git" / "config"
    try:
        text = config.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    urls = re.findall(r"^\s*url\s*=\s*(\S+)\s*$", text, re.MULTILINE)
    return frozenset(normalized_url(url) for url in urls)


def self_sources(
    git_repositories: Iterable[Mapping[str, Any]], remotes: frozenset[str]
) -> set[ObjectKey]:
    """GitRepository objects that stand for this repository: the one `flux bootstrap` writes
    (flux-system/flux-system) and any whose URL is one of this repository's remotes."""
    found = {ObjectKey("GitRepository", BOOTSTRAP_SOURCE, BOOTSTRAP_SOURCE)}
    for body in git_repositories:
        url = spec(body).get("url")
        if isinstance(url, str) and normalized_url(url) in remotes:
            found.add(key_of(body))
    return found
