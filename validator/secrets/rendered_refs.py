"""Reference checks in rendered objects: vals/AVP expressions, AVP annotations, ExternalSecrets."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path as FsPath
from typing import Any

from validator.model import Finding, Resource, SecretsSettings
from validator.secrets.findings import (
    SECRET_REF_INVALID,
    SECRET_REF_SCHEME_DENIED,
    object_finding,
)
from validator.secrets.references import (
    AVP_PATH_ANNOTATION,
    AVP_PLACEHOLDER,
    RefProblem,
    SecretReference,
    avp_path_problems,
    check_reference,
    find_references,
    store_reference_scheme,
)
from validator.secrets.rendered import SECRET_FIELDS, Path, is_secret, walk_strings


def uses_avp(resources: Iterable[Resource]) -> bool:
    """Whether the environment is rendered for argocd-vault-plugin: some object carries the
    `avp.kubernetes.io/path` annotation or an inline `<path:…>` reference in a Secret."""
    for resource in resources:
        if AVP_PATH_ANNOTATION in _annotations(resource.body):
            return True
        if is_secret(resource.body) and any(
            "<path:" in value for _, value in walk_strings(resource.body)
        ):
            return True
    return False


def reference_findings(
    resource: Resource,
    secrets: SecretsSettings,
    repo_root: FsPath,
    avp: bool = False,
    strings: list[tuple[Path, str]] | None = None,
) -> Iterator[Finding]:
    """`avp`: the environment uses argocd-vault-plugin (see `uses_avp`); only then is a bare
    `<key>` Secret value an AVP placeholder rather than a `<fill-me-in>` for people.
    `strings`: the object's `walk_strings`, when the caller has it already."""
    body = resource.body
    allowed = secrets.allowed_reference_schemes
    for path, value in walk_strings(body) if strings is None else strings:
        if ":" not in value:  # every reference syntax has one (`ref+x://`, `<path:`, `op://`…)
            continue
        scheme = store_reference_scheme(value.strip())
        if scheme is not None and scheme not in allowed:
            message = f"{scheme} reference: scheme not allowed (allowed: {', '.join(allowed)})"
            yield object_finding(SECRET_REF_SCHEME_DENIED, message, resource, path)
        for expression in find_references(value):
            reference, problems = check_reference(
                expression, secrets.allowed_reference_schemes, secrets.vault
            )
            for problem in problems:
                yield object_finding(problem.rule_id, problem.message, resource, path)
            if _missing_sops_file(reference, problems, repo_root):
                message = (
                    f"ref+sops://{expression_path(expression)}: no such file in the repository"
                )
                yield object_finding(SECRET_REF_INVALID, message, resource, path)
    yield from _avp_annotation_findings(resource, secrets, avp)
    if body.get("kind") == "ExternalSecret" and str(body.get("apiVersion", "")).startswith(
        "external-secrets.io/"
    ):
        if "externalsecrets" not in allowed:
            listed = ", ".join(allowed)
            message = f"ExternalSecret: scheme externalsecrets not allowed (allowed: {listed})"
            yield object_finding(SECRET_REF_SCHEME_DENIED, message, resource, ())
        yield from _external_secret_findings(resource)


def expression_path(expression: str) -> str:
    return expression.split("://", 1)[-1].split("?")[0].split("#")[0]


def _missing_sops_file(
    reference: SecretReference | None, problems: list[RefProblem], repo_root: FsPath
) -> bool:
    if reference is None or reference.scheme != "sops" or problems:
        return False
    return not (repo_root / reference.path).is_file()


def _annotations(body: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = body.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    return annotations if isinstance(annotations, Mapping) else {}


def _avp_annotation_findings(
    resource: Resource, secrets: SecretsSettings, avp: bool
) -> Iterator[Finding]:
    annotations = _annotations(resource.body)
    path = annotations.get(AVP_PATH_ANNOTATION)
    pointer = ("metadata", "annotations", AVP_PATH_ANNOTATION)
    if isinstance(path, str):
        label = f"{AVP_PATH_ANNOTATION} {path}"
        for problem in avp_path_problems(label, path, secrets.vault):
            yield object_finding(problem.rule_id, problem.message, resource, pointer)
        return
    if not avp or not is_secret(resource.body):
        return
    for field in SECRET_FIELDS:
        entries = resource.body.get(field)
        if not isinstance(entries, Mapping):
            continue
        for key, value in entries.items():
            if isinstance(value, str) and AVP_PLACEHOLDER.match(value.strip()):
                message = (
                    f"{field}.{key} is an argocd-vault-plugin placeholder but the Secret has no "
                    f"{AVP_PATH_ANNOTATION} annotation: it would be applied literally"
                )
                yield object_finding(SECRET_REF_INVALID, message, resource, (field, str(key)))


def _external_secret_findings(resource: Resource) -> Iterator[Finding]:
    spec = resource.body.get("spec")
    if not isinstance(spec, Mapping):
        yield object_finding(SECRET_REF_INVALID, "ExternalSecret has no spec", resource, ())
        return
    store = spec.get("secretStoreRef")
    if not isinstance(store, Mapping) or not store.get("name"):
        message = "ExternalSecret names no secretStoreRef.name"
        yield object_finding(SECRET_REF_INVALID, message, resource, ("spec", "secretStoreRef"))
    data, data_from = spec.get("data") or [], spec.get("dataFrom") or []
    if not data and not data_from:
        message = "ExternalSecret has neither data nor dataFrom: it fetches nothing"
        yield object_finding(SECRET_REF_INVALID, message, resource, ("spec",))
    for index, item in enumerate(data if isinstance(data, list) else []):
        where = ("spec", "data", index)
        remote = item.get("remoteRef") if isinstance(item, Mapping) else None
        if not isinstance(item, Mapping) or not item.get("secretKey"):
            yield object_finding(SECRET_REF_INVALID, "data entry has no secretKey", resource, where)
        if not isinstance(remote, Mapping) or not str(remote.get("key") or "").strip():
            message = "data entry has no remoteRef.key"
            yield object_finding(SECRET_REF_INVALID, message, resource, (*where, "remoteRef"))
    for index, item in enumerate(data_from if isinstance(data_from, list) else []):
        extract = item.get("extract") if isinstance(item, Mapping) else None
        if isinstance(extract, Mapping) and not str(extract.get("key") or "").strip():
            message = "dataFrom extract has no key"
            yield object_finding(
                SECRET_REF_INVALID, message, resource, ("spec", "dataFrom", index, "extract")
            )
