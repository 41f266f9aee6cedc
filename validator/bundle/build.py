"""Write a bundle: one canonical file per rendered object (secrets still encrypted), bundle.json."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import validator
from validator.atomic import write_atomic, write_directory_atomic
from validator.bundle.manifest import (
    MANIFEST_FILE,
    OBJECTS_DIR,
    BundleError,
    BundleManifest,
    BundleObject,
    BundleRefusedError,
    object_bytes,
    object_file_name,
    sha256_hex,
)
from validator.bundle.signing import SIGNATURE_FILE, sign
from validator.model import Finding, RenderedEnvironment, Severity
from validator.outcome import ValidationReport

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def findings_summary(env: RenderedEnvironment, report: ValidationReport) -> dict[str, Any]:
    """Counts per severity of the findings that concern `env` (its own and repository-wide)."""
    relevant = _relevant_findings(env, report)
    counts = {severity.value: 0 for severity in Severity}
    for finding in relevant:
        counts[finding.severity.value] += 1
    blocking = _blocking(relevant, report.fail_on) or env.failed
    return {**counts, "failOn": report.fail_on, "blocking": blocking}


def build_bundle(
    env: RenderedEnvironment,
    report: ValidationReport,
    out_dir: Path,
    *,
    git_revision: str | None,
    config_digest: str,
    signing_key: Ed25519PrivateKey | None = None,
) -> BundleManifest:
    """Write `env`'s objects and bundle.json into `out_dir` (must be absent or empty).

    Raises BundleRefusedError when validation blocks this environment: a bundle is a promise
    that the objects passed the gate, so it is never written for a failing environment.
    """
    summary = findings_summary(env, report)
    if summary["blocking"]:
        blocking = _blocking_findings(_relevant_findings(env, report), report)
        raise BundleRefusedError(
            f"environment {env.name!r} has blocking findings "
            f"({summary['error']} error, {summary['warning']} warning, fail-on "
            f"{report.fail_on}); no bundle written:\n" + _listing(blocking)
        )
    files: dict[str, bytes] = {}
    entries: list[BundleObject] = []
    for resource in env.resources:
        name = object_file_name(resource.ref)
        if name in files:
            raise BundleError(f"environment {env.name!r} renders {resource.ref.key} twice")
        data = object_bytes(resource.body)
        files[name] = data
        entries.append(BundleObject(file=name, ref=resource.ref, sha256=sha256_hex(data)))
    manifest = BundleManifest(
        tool_version=validator.__version__,
        environment=env.name,
        kubernetes_version=env.kubernetes_version,
        git_revision=git_revision,
        config_digest=config_digest,
        objects=tuple(entries),
        findings=summary,
    )
    manifest = _with_digest(manifest)
    files[MANIFEST_FILE] = manifest.to_bytes()
    if signing_key is not None:
        files[SIGNATURE_FILE] = sign(files[MANIFEST_FILE], signing_key)
    _write_directory(out_dir, files)
    return manifest


def write_archive(bundle_dir: Path, archive: Path) -> Path:
    """Pack a bundle directory into a reproducible `.tar.gz` (sorted, zero mtimes and owners)."""
    objects = sorted(f"{OBJECTS_DIR}/{path.name}" for path in (bundle_dir / OBJECTS_DIR).iterdir())
    signed = [SIGNATURE_FILE] if (bundle_dir / SIGNATURE_FILE).is_file() else []
    names = [MANIFEST_FILE, *signed, *objects]
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name in names:
            data = (bundle_dir / name).read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    write_atomic(archive, packed.getvalue())
    return archive


def _with_digest(manifest: BundleManifest) -> BundleManifest:
    return BundleManifest(
        tool_version=manifest.tool_version,
        environment=manifest.environment,
        kubernetes_version=manifest.kubernetes_version,
        git_revision=manifest.git_revision,
        config_digest=manifest.config_digest,
        objects=manifest.objects,
        findings=manifest.findings,
        digest=manifest.computed_digest(),
    )


def _relevant_findings(env: RenderedEnvironment, report: ValidationReport) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for finding in (*report.findings, *env.findings):
        if finding.environment in (None, env.name):
            seen.setdefault(finding.fingerprint, finding)
    return list(seen.values())


_LISTED = 20  # findings spelled out in a refusal; the rest are counted


def _blocking_findings(findings: list[Finding], report: ValidationReport) -> list[Finding]:
    blocks = [f for f in findings if _blocking([f], report.fail_on)]
    return sorted(blocks or findings, key=lambda f: -f.severity.rank)


def _listing(findings: list[Finding]) -> str:
    lines = []
    for finding in findings[:_LISTED]:
        loc = finding.location
        where = f"{loc.file}:{loc.line}:{loc.column}: " if loc else ""
        lines.append(f"  {where}{finding.severity.value} {finding.rule_id}: {finding.message}")
    if len(findings) > _LISTED:
        lines.append(f"  … and {len(findings) - _LISTED} more (run validate --env for all)")
    return "\n".join(lines)


# A value in the clear never ships, whatever --fail-on says: the bundle would be a copy of it.
_SECRET_VALUE_RULES = frozenset({"secret-plaintext", "secret-leak"})


def _blocking(findings: Iterable[Finding], fail_on: str) -> bool:
    findings = list(findings)
    if any(finding.rule_id in _SECRET_VALUE_RULES for finding in findings):
        return True
    if fail_on == "never":
        return False
    threshold = Severity(fail_on).rank
    return any(finding.severity.rank >= threshold for finding in findings)


def _write_directory(out_dir: Path, files: dict[str, bytes]) -> None:
    """All or nothing: built beside `out_dir` and renamed into place, so a full disk or an
    interrupt leaves no partial bundle for a rerun (or an apply) to trip over."""
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise BundleError(f"{out_dir}: output must be a new or empty directory")
    try:
        write_directory_atomic(out_dir, files)
    except OSError as error:
        raise BundleError(f"cannot write the bundle {out_dir}: {error.strerror}") from None
