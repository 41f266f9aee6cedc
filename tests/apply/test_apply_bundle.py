"""Bundles: build, verify, and refuse anything edited, added, removed or tampered with."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from apply_support import as_resources, configmap, deployment, namespace, sops_secret

import validator
from validator.bundle import (
    BundleError,
    BundleRefusedError,
    BundleVerificationError,
    build_bundle,
    verify_bundle,
    write_archive,
)
from validator.model import Category, Finding, RenderedEnvironment, Severity
from validator.outcome import ValidationReport

BODIES = (namespace("shop"), configmap("cfg"), deployment(), sops_secret())


def _env(name: str = "prod") -> RenderedEnvironment:
    return RenderedEnvironment(name, "1.33", tuple(as_resources(*BODIES, env=name)))


def _report(env: RenderedEnvironment, *findings: Finding) -> ValidationReport:
    return ValidationReport(environments=(env,), findings=findings)


def _finding(severity: Severity, environment: str | None) -> Finding:
    return Finding("some-rule", Category.POLICY, severity, "a finding", environment=environment)


def _build(tmp_path: Path, env: RenderedEnvironment | None = None) -> Path:
    env = env or _env()
    out = tmp_path / "bundle"
    build_bundle(env, _report(env), out, git_revision="abc123", config_digest="sha256:cfg")
    return out


def test_bundle_build_writes_objects_and_a_verifiable_manifest(tmp_path: Path) -> None:
    out = _build(tmp_path)

    manifest = json.loads((out / "bundle.json").read_text())
    assert manifest["tool"]["version"] == validator.__version__
    assert (manifest["environment"], manifest["gitRevision"]) == ("prod", "abc123")
    assert manifest["configDigest"] == "sha256:cfg"
    assert manifest["findings"]["blocking"] is False
    assert manifest["digest"].startswith("sha256:")
    assert len(manifest["objects"]) == 4 and all(
        len(o["sha256"]) == 64 for o in manifest["objects"]
    )
    secret_file = out / "objects" / "core.secret.shop.app-secrets.json"
    assert "ENC[AES256_GCM" in secret_file.read_text()  # still encrypted in the bundle

    verified = verify_bundle(out)

    assert verified.environment == "prod" and verified.digest == manifest["digest"]
    assert [r.body for r in verified.resources] == [dict(b) for b in BODIES]


def test_bundle_build_is_deterministic(tmp_path: Path) -> None:
    first, second = _build(tmp_path / "a"), _build(tmp_path / "b")
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)


def test_bundle_refused_when_findings_block_the_environment(tmp_path: Path) -> None:
    env = _env()
    blocking = _report(env, _finding(Severity.ERROR, "prod"))
    with pytest.raises(BundleRefusedError, match="blocking findings"):
        build_bundle(env, blocking, tmp_path / "b", git_revision=None, config_digest="x")
    assert not (tmp_path / "b").exists()
    other_env = _report(env, _finding(Severity.ERROR, "dev"), _finding(Severity.WARNING, "prod"))
    manifest = build_bundle(env, other_env, tmp_path / "ok", git_revision=None, config_digest="x")
    assert manifest.findings["warning"] == 1 and manifest.findings["error"] == 0


def test_bundle_refuses_to_write_into_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / "stray.txt").write_text("x")
    with pytest.raises(BundleError, match="new or empty"):
        _build(tmp_path)


def test_bundle_verify_detects_one_changed_byte_in_an_object(tmp_path: Path) -> None:
    out = _build(tmp_path)
    target = out / "objects" / "apps.deployment.shop.web.json"
    data = bytearray(target.read_bytes())
    data[data.index(b"nginx:1.27") + 6] = ord("8")
    target.write_bytes(bytes(data))
    with pytest.raises(BundleVerificationError, match=r"deployment\.shop\.web\.json was modified"):
        verify_bundle(out)


def test_bundle_verify_detects_an_added_object(tmp_path: Path) -> None:
    out = _build(tmp_path)
    (out / "objects" / "core.configmap.shop.extra.json").write_text("{}")
    with pytest.raises(BundleVerificationError, match="not listed"):
        verify_bundle(out)


def test_bundle_verify_detects_a_removed_object(tmp_path: Path) -> None:
    out = _build(tmp_path)
    (out / "objects" / "core.configmap.shop.cfg.json").unlink()
    with pytest.raises(BundleVerificationError, match="listed but missing"):
        verify_bundle(out)


def test_bundle_verify_detects_a_tampered_manifest(tmp_path: Path) -> None:
    out = _build(tmp_path)
    manifest = json.loads((out / "bundle.json").read_text())
    manifest["findings"]["error"] = 0
    manifest["gitRevision"] = "evil"
    (out / "bundle.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleVerificationError, match="digest mismatch"):
        verify_bundle(out)


def test_bundle_verify_detects_an_object_digest_rewritten_in_the_manifest(tmp_path: Path) -> None:
    out = _build(tmp_path)
    manifest = json.loads((out / "bundle.json").read_text())
    manifest["objects"][0]["sha256"] = "0" * 64
    (out / "bundle.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleVerificationError):
        verify_bundle(out)


def test_bundle_archive_round_trips_and_detects_tampering(tmp_path: Path) -> None:
    out = _build(tmp_path)
    archive = write_archive(out, tmp_path / "bundle.tar.gz")
    assert len(verify_bundle(archive).resources) == 4

    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(tampered, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.endswith("cfg.json"):
                data = data.replace(b"fast", b"slow")
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    with pytest.raises(BundleVerificationError, match="modified"):
        verify_bundle(tampered)


def test_bundle_verify_rejects_a_missing_bundle(tmp_path: Path) -> None:
    with pytest.raises(BundleVerificationError):
        verify_bundle(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BundleVerificationError, match="not a bundle"):
        verify_bundle(tmp_path / "empty")
