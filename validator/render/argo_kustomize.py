"""An Argo CD Application's Kustomize source with its `kustomize` options applied."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from validator.guarded import GuardError, read_repo_yaml
from validator.model import ResourceRef, SourceLocation
from validator.render.argo_context import AppContext, Rendered, SourceError, documents_of
from validator.render.helm_shim import TEMPLATE_ANNOTATION
from validator.render.inputs import collect_inputs, kustomization_file
from validator.render.kustomize import KustomizeError, run_kustomize
from validator.render.origins import ORIGIN_ANNOTATION, parse_origin, pop_annotation
from validator.render.tools import find_kustomize

# Argo CD's kustomize options, as the kustomization fields `kustomize edit` would set.
_KUSTOMIZE_FIELDS = {
    "namePrefix": "namePrefix",
    "nameSuffix": "nameSuffix",
    "namespace": "namespace",
    "commonLabels": "commonLabels",
    "commonAnnotations": "commonAnnotations",
    "images": "images",
    "patches": "patches",
    "replicas": "replicas",
}


def render_kustomize(
    directory: Path, options: Mapping[str, Any], app: AppContext
) -> list[Rendered]:
    """Argo CD runs `kustomize edit set …` on a copy; a kustomization wrapping the path with
    the same fields builds the same objects without touching the repository."""
    fields: dict[str, Any] = {
        k: options[src] for src, k in _KUSTOMIZE_FIELDS.items() if options.get(src)
    }
    if "patches" in fields:
        fields["patches"] = [_inline_patch(p, directory, app.repo) for p in fields["patches"]]
    if "images" in fields:
        fields["images"] = [_image(i) if isinstance(i, str) else i for i in fields["images"]]
    components = [(directory / str(c)).resolve() for c in options.get("components") or []]
    with tempfile.TemporaryDirectory(prefix="gitops-validator-argo-") as scratch:
        wrapper = Path(scratch)
        # kustomize refuses absolute roots: the wrapper names the path relative to itself.
        fields["resources"] = [os.path.relpath(directory, wrapper)]
        if components:
            fields["components"] = [os.path.relpath(c, wrapper) for c in components]
        (wrapper / "kustomization.yaml").write_text(json.dumps(fields), encoding="utf-8")
        try:
            output = run_kustomize(
                find_kustomize(),
                wrapper,
                app.repo,
                kubernetes_version=app.kubernetes_version,
                helm=collect_inputs(directory).uses_helm,
            )
        except KustomizeError as error:
            raise SourceError(str(error).replace(str(wrapper), "<argo options>")) from None
    fallback = SourceLocation(
        (kustomization_file(directory) or directory).relative_to(app.repo).as_posix()
    )
    rendered = []
    for body in documents_of(output.stream, "kustomize output"):
        template = pop_annotation(body, TEMPLATE_ANNOTATION)
        annotation = pop_annotation(body, ORIGIN_ANNOTATION)
        source = (
            Path(template)
            if template
            else (parse_origin(annotation, output.wrapper) if annotation else None)
        )
        if source is None or not source.is_relative_to(app.repo):
            rendered.append(Rendered(body, fallback))
            continue
        ref = ResourceRef.of(body)
        line = app.index.document_line(source, ref.kind, ref.name)
        rendered.append(
            Rendered(body, SourceLocation(source.relative_to(app.repo).as_posix(), line))
        )
    return rendered


def _inline_patch(patch: Any, directory: Path, repo: Path) -> Any:
    """A patch `path` is relative to the Application's path; kustomize would read it relative
    to the wrapper, so its content is inlined."""
    if not isinstance(patch, Mapping) or not patch.get("path"):
        return patch
    file = (directory / str(patch["path"])).resolve()
    if not file.is_relative_to(repo) or not file.is_file():
        raise SourceError(f"kustomize patch {patch['path']} does not exist in this repository")
    try:
        text = read_repo_yaml(repo, file)
    except GuardError as error:
        raise SourceError(f"cannot read kustomize patch {error}") from None
    return {**{k: v for k, v in patch.items() if k != "path"}, "patch": text}


def _image(text: str) -> dict[str, str]:
    """`kustomize edit set image` syntax: [name=]newName[:tag|@digest] → an images entry."""
    name, _, target = text.partition("=") if "=" in text else ("", "", text)
    entry: dict[str, str] = {}
    if "@" in target:
        image, entry["digest"] = target.split("@", 1)
    else:
        slash = target.rfind("/")
        colon = target.rfind(":")
        image, tag = (target[:colon], target[colon + 1 :]) if colon > slash else (target, "")
        if tag:
            entry["newTag"] = tag
    entry["name"] = name or image
    if image != entry["name"]:
        entry["newName"] = image
    return entry
