"""Loose manifests through the validation stages: `validate FILE...` and `validate -`.

Part of the composition root with `pipeline.py`: the files are one pseudo-environment that the
secrets, schema and policy stages check like a rendered one (no render, no repository scan).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from validator.findings import one_finding_per_defect
from validator.model import Finding, Resource, ResourceRef, Settings
from validator.outcome import ValidationReport
from validator.pipeline import STAGES
from validator.render.loose import LooseManifests, ManifestSource, loose_environment

ENVIRONMENT = "manifests"  # the name findings on loose manifests carry


def validate_manifests(settings: Settings, sources: Sequence[ManifestSource]) -> ValidationReport:
    loose = loose_environment(sources, ENVIRONMENT, settings.kubernetes_version)
    env = loose.environment
    stages = [make_stage(settings) for make_stage in STAGES]
    findings = list(env.findings)
    for stage in stages:
        findings.extend(stage.check_environment(env, {}))
    by_ref = {resource.ref: resource for resource in env.resources}
    located = [_located(finding, by_ref, loose) for finding in findings]
    for stage in stages:
        located.extend(stage.finish())
    return ValidationReport(
        environments=(env,),
        findings=tuple(one_finding_per_defect(located)),
        fail_on=settings.fail_on,
    )


def _located(
    finding: Finding, by_ref: Mapping[ResourceRef, Resource], loose: LooseManifests
) -> Finding:
    resource = by_ref.get(finding.resource) if finding.resource else None
    if finding.location is not None or resource is None:
        return finding
    return dataclasses.replace(finding, location=loose.locate(resource, finding.path))
