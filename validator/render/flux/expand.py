"""Expand a Flux cluster like the controllers do: build the root Kustomization, find the
Kustomizations and HelmReleases in its output, build those, until nothing new appears.

Every object is tagged with the unit that produced it. A unit that fails is a finding on
that unit and the rest of the cluster still renders; a source this run cannot reach
(another repository, a bucket) is an info finding naming what was skipped.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validator.model import Category, Finding, FluxSpec, Severity, SourceLocation, ValidatorError
from validator.render.document import Document
from validator.render.flux import api
from validator.render.flux.api import ObjectKey
from validator.render.flux.artifacts import (
    Artifact,
    ArtifactUnavailable,
    find_artifact,
    is_artifact_generator,
    materialize,
)
from validator.render.flux.build import build_kustomization
from validator.render.flux.helmrelease import HelmContext, render_helm_release
from validator.render.flux.hr_chart import RemoteChart
from validator.render.flux.postbuild import post_build
from validator.render.flux.tree import (
    StaticTree,
    add_local_chart,
    kustomization_reads,
    root_kustomization,
)
from validator.render.origins import DocumentIndex
from validator.render.stream import StreamError

log = logging.getLogger("gitops_validator.render")
SKIPPED_RULE = "source-skipped"
MAX_UNITS = 2000  # a generator loop producing ever new Kustomizations stops here


class FluxEntryError(ValidatorError):
    pass


@dataclass
class Expansion:
    documents: list[Document] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    reads: StaticTree = field(default_factory=StaticTree)  # the files the builds read


@dataclass
class _Unit:
    body: Mapping[str, Any]
    origin: SourceLocation | None

    @property
    def key(self) -> ObjectKey:
        return api.key_of(self.body)


def expand_cluster(
    repo: Path, flux: FluxSpec, kubernetes_version: str, fetch: Callable[[RemoteChart], Path]
) -> Expansion:
    root = root_kustomization(repo, flux)
    if root is None:
        raise FluxEntryError(
            f"{flux.entry} holds no Flux Kustomization {flux.namespace}/{flux.name}"
        )
    state = _State(repo, kubernetes_version, fetch, api.git_remotes(repo))
    state.own.update(r for r in [api.source_ref(root)] if r)
    state.kustomizations.append(_Unit(root, SourceLocation(flux.entry)))
    with tempfile.TemporaryDirectory(prefix="gitops-validator-artifacts-") as scratch:
        state.scratch = Path(scratch)
        while state.kustomizations or state.releases:
            if len(state.seen) > MAX_UNITS:
                raise FluxEntryError(f"more than {MAX_UNITS} units: stopped expanding")
            if state.kustomizations:
                state.kustomization(state.next_kustomization())
            else:
                state.release(state.releases.pop(0))
    return state.result


class _State:
    def __init__(
        self,
        repo: Path,
        version: str,
        fetch: Callable[[RemoteChart], Path],
        remotes: frozenset[str],
    ) -> None:
        self.repo, self.version, self.fetch, self.remotes = repo, version, fetch, remotes
        self.own: set[ObjectKey] = set()
        self.git_repositories: list[Mapping[str, Any]] = []
        self.kustomizations: list[_Unit] = []
        self.releases: list[_Unit] = []
        self.seen: set[ObjectKey] = set()
        self.index = DocumentIndex()
        self.result = Expansion()
        self.generators: list[Mapping[str, Any]] = []  # ArtifactGenerators rendered so far
        self.artifacts: dict[ObjectKey, Artifact] = {}
        self.scratch = Path()

    def next_kustomization(self) -> _Unit:
        """The first pending Kustomization whose dependsOn are all built (order only)."""
        pending = {u.key for u in self.kustomizations}
        for position, unit in enumerate(self.kustomizations):
            if not (_depends_on(unit.body) & pending):
                return self.kustomizations.pop(position)
        return self.kustomizations.pop(0)  # a dependency cycle: Flux would stall; build anyway

    def kustomization(self, unit: _Unit) -> None:
        key = unit.key
        if key in self.seen:
            return  # built already (bootstrap's flux-system builds itself): a cycle ends here
        self.seen.add(key)
        self.result.units.append(str(key))
        source = api.source_ref(unit.body)
        artifact = None
        if source is not None and source.kind == "ExternalArtifact":
            try:
                artifact = self._artifact(source)
            except ArtifactUnavailable as error:
                self._skipped(unit, f"builds from {source}, which {error}")
                return
        elif source is None or not self.is_own(source):
            self._skipped(unit, f"builds from {source or 'no sourceRef'}, which is not reachable")
            return
        log.info("flux: building %s (./%s)", key, api.kustomization_path(unit.body))
        outside = sorted(
            p
            for p in kustomization_reads(self.repo, unit.body, self.result.reads, artifact)
            if not p.is_relative_to(self.repo)
        )
        if outside:  # Flux confines a build to its source: so does this one
            self._failed(unit, f"{key}: reads {outside[0]}, outside the repository")
            return
        try:
            built = build_kustomization(
                self.repo,
                unit.body,
                kubernetes_version=self.version,
                index=self.index,
                unit=str(key),
                artifact=artifact,
            )
        except (ValidatorError, StreamError) as error:
            self._failed(unit, f"{key}: {error}")
            return
        done = post_build(
            self.repo, unit.body, built, [*self.result.documents, *built], unit.origin, str(key)
        )
        self.result.findings.extend(done.findings)
        self._add([_with_metadata(d, unit.body) for d in done.documents])

    def release(self, unit: _Unit) -> None:
        key = unit.key
        if key in self.seen:
            return
        self.seen.add(key)
        self.result.units.append(str(key))
        add_local_chart(self.repo, unit.body, self.result.reads)
        context = HelmContext(self.repo, self.version, self.is_own, self.fetch, self.index)
        rendered = render_helm_release(
            context, unit.body, unit.origin, self.result.documents, str(key)
        )
        self.result.findings.extend(rendered.findings)
        self._add(rendered.documents)

    def is_own(self, ref: ObjectKey) -> bool:
        return ref in self.own | api.self_sources(self.git_repositories, self.remotes)

    def _add(self, documents: list[Document]) -> None:
        self.result.documents.extend(documents)
        for document in documents:
            body = document.body
            if api.is_flux_kustomization(body):
                self.kustomizations.append(_Unit(body, document.origin))
            elif api.is_helm_release(body):
                self.releases.append(_Unit(body, document.origin))
            elif api.is_source(body, "GitRepository"):
                self.git_repositories.append(body)
            elif is_artifact_generator(body):
                self.generators.append(body)

    def _artifact(self, source: ObjectKey) -> Artifact:
        if source not in self.artifacts:
            found = find_artifact(self.generators, source)
            if found is None:
                raise ArtifactUnavailable("no ArtifactGenerator of this repository makes")
            directory = self.scratch / f"{len(self.artifacts)}"
            directory.mkdir()
            self.artifacts[source] = materialize(self.repo, *found, self.is_own, directory)
        return self.artifacts[source]

    def _skipped(self, unit: _Unit, why: str) -> None:
        self.result.findings.append(
            Finding(
                rule_id=SKIPPED_RULE,
                category=Category.RENDER,
                severity=Severity.INFO,
                message=f"{unit.key} {why}: not rendered",
                location=unit.origin,
                unit=str(unit.key),
            )
        )

    def _failed(self, unit: _Unit, message: str) -> None:
        self.result.findings.append(
            Finding(
                rule_id="render-failed",
                category=Category.RENDER,
                severity=Severity.ERROR,
                message=message,
                location=unit.origin,
                unit=str(unit.key),
            )
        )


def _depends_on(body: Mapping[str, Any]) -> set[ObjectKey]:
    own = str(api.metadata(body).get("namespace") or "default")
    entries = api.spec(body).get("dependsOn")
    return {
        ObjectKey("Kustomization", str(e.get("namespace") or own), str(e["name"]))
        for e in (entries if isinstance(entries, list) else [])
        if isinstance(e, Mapping) and e.get("name")
    }


def _with_metadata(document: Document, kustomization: Mapping[str, Any]) -> Document:
    """What kustomize-controller sets at apply time: commonMetadata, then its owner labels."""
    common = api.spec(kustomization).get("commonMetadata")
    meta = api.metadata(kustomization)
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    if isinstance(common, Mapping):
        labels.update({str(k): str(v) for k, v in (common.get("labels") or {}).items()})
        annotations.update({str(k): str(v) for k, v in (common.get("annotations") or {}).items()})
    labels["kustomize.toolkit.fluxcd.io/name"] = str(meta.get("name") or "")
    labels["kustomize.toolkit.fluxcd.io/namespace"] = str(meta.get("namespace") or "default")
    body = dict(document.body)
    body_meta = dict(body.get("metadata") or {})
    for name, values in (("labels", labels), ("annotations", annotations)):
        if values:
            body_meta[name] = {**(body_meta.get(name) or {}), **values}
    body["metadata"] = body_meta
    return Document(body, document.origin, document.unit)
