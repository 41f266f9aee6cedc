"""Signed bundles: `bundle --sign`, `apply/drift --verify-key`, apply.requireSignature (item 3).

Verification happens before the cluster is contacted, so these tests point apply at a closed
loopback port: a bundle that verifies gets as far as the cluster (exit 8), one that does not
stops at verification (exit 6).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from support import RunCli

from validator.bundle.manifest import BundleManifest


def _keys(directory: Path, name: str = "signer", pem: bool = False) -> tuple[Path, Path]:
    key = Ed25519PrivateKey.generate()
    if pem:
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    else:
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(private)
    (directory / f"{name}.pub").write_bytes(public + b"\n")
    (directory / name).chmod(0o600)
    return directory / name, directory / f"{name}.pub"


def _dead_kubeconfig(path: Path) -> Path:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{port}"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "c",
    }
    path.write_text(json.dumps(config))
    return path


def _redigest(bundle: Path, edit_manifest=None) -> None:
    """What an attacker with write access does: recompute every digest after an edit."""
    manifest = json.loads((bundle / "bundle.json").read_text())
    for entry in manifest["objects"]:
        entry["sha256"] = hashlib.sha256((bundle / entry["file"]).read_bytes()).hexdigest()
    if edit_manifest:
        edit_manifest(manifest)
    parsed = BundleManifest.from_bytes(json.dumps(manifest).encode())
    manifest["digest"] = parsed.computed_digest()
    (bundle / "bundle.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))


@pytest.fixture
def signed(demo_repo: Path, run_cli: RunCli, tmp_path: Path) -> tuple[Path, Path]:
    private, public = _keys(tmp_path / "keys")
    bundle = tmp_path / "bundle"
    made = run_cli(
        "bundle", "--env", "prod", "--output", str(bundle), "--sign", str(private), cwd=demo_repo
    )
    assert made.code == 0, made.stderr
    assert (bundle / "bundle.sig").read_text().startswith("-----BEGIN SSH SIGNATURE-----")
    return bundle, public


def _apply(run_cli: RunCli, bundle: Path, tmp_path: Path, *extra: str, cwd: Path | None = None):
    dead = _dead_kubeconfig(tmp_path / "dead.json")
    return run_cli("apply", str(bundle), "--kubeconfig", str(dead), *extra, cwd=cwd)


def test_a_signed_bundle_verifies_and_reaches_the_cluster(
    signed: tuple[Path, Path], run_cli: RunCli, tmp_path: Path
) -> None:
    bundle, public = signed
    result = _apply(run_cli, bundle, tmp_path, "--verify-key", str(public))
    assert result.code == 8, result.stderr  # verified; then the (absent) cluster


def test_an_edited_object_with_recomputed_digests_fails_the_signature(
    signed: tuple[Path, Path], run_cli: RunCli, tmp_path: Path
) -> None:
    bundle, public = signed
    target = next(p for p in (bundle / "objects").iterdir() if "deployment" in p.name)
    target.write_text(target.read_text().replace("ghcr.io/example", "evil.example"))
    _redigest(bundle)
    unchecked = _apply(run_cli, bundle, tmp_path)
    assert unchecked.code == 8  # digests alone accept the forgery: that is why we sign
    result = _apply(run_cli, bundle, tmp_path, "--verify-key", str(public))
    assert result.code == 6, result.stderr
    assert "signature does not match" in result.stderr
    dead = _dead_kubeconfig(tmp_path / "dead2.json")
    drift = run_cli("drift", str(bundle), "--kubeconfig", str(dead), "--verify-key", str(public))
    assert drift.code == 6


def test_an_unsigned_bundle_or_another_key_is_refused(
    signed: tuple[Path, Path], run_cli: RunCli, tmp_path: Path
) -> None:
    bundle, _ = signed
    _, other = _keys(tmp_path / "other")
    wrong = _apply(run_cli, bundle, tmp_path, "--verify-key", str(other))
    assert wrong.code == 6 and "another key" in wrong.stderr
    (bundle / "bundle.sig").unlink()
    unsigned = _apply(run_cli, bundle, tmp_path, "--verify-key", str(other))
    assert unsigned.code == 6 and "unsigned" in unsigned.stderr


def test_a_garbled_signature_is_refused(
    signed: tuple[Path, Path], run_cli: RunCli, tmp_path: Path
) -> None:
    bundle, public = signed
    for garbage in (
        b"",
        b"\xff\xfe",
        b"-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n",
    ):
        (bundle / "bundle.sig").write_bytes(garbage)
        result = _apply(run_cli, bundle, tmp_path, "--verify-key", str(public))
        assert result.code == 6, (garbage, result.stderr)


def test_require_signature_in_the_config(
    signed: tuple[Path, Path], demo_repo: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    bundle, public = signed
    with (demo_repo / "gitops-validator.yaml").open("a") as config:
        config.write("apply:\n  requireSignature: true\n")
    refused = _apply(run_cli, bundle, tmp_path, cwd=demo_repo)
    assert refused.code == 6, refused.stderr
    assert "--verify-key" in refused.stderr
    accepted = _apply(run_cli, bundle, tmp_path, "--verify-key", str(public), cwd=demo_repo)
    assert accepted.code == 8, accepted.stderr


def test_blocking_true_is_never_applied(demo_repo: Path, run_cli: RunCli, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    assert run_cli("bundle", "--env", "prod", "--output", str(bundle), cwd=demo_repo).code == 0
    _redigest(bundle, lambda manifest: manifest["findings"].update(blocking=True))
    result = _apply(run_cli, bundle, tmp_path)
    assert result.code == 6, result.stderr
    assert "blocking" in result.stderr


def test_an_object_file_that_is_not_json_is_a_verification_failure(
    demo_repo: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    assert run_cli("bundle", "--env", "prod", "--output", str(bundle), cwd=demo_repo).code == 0
    target = next((bundle / "objects").iterdir())
    target.write_bytes(b"{not json")
    _redigest(bundle)
    result = _apply(run_cli, bundle, tmp_path)
    assert result.code == 6, result.stderr
    assert "is not JSON" in result.stderr


def test_pem_keys_work_too(demo_repo: Path, run_cli: RunCli, tmp_path: Path) -> None:
    private, public = _keys(tmp_path / "pem", pem=True)
    bundle = tmp_path / "bundle"
    made = run_cli(
        "bundle", "--env", "prod", "--output", str(bundle), "--sign", str(private), cwd=demo_repo
    )
    assert made.code == 0, made.stderr
    assert _apply(run_cli, bundle, tmp_path, "--verify-key", str(public)).code == 8


def test_a_key_that_is_not_ed25519_is_a_clear_error(
    demo_repo: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.key"
    junk.write_text("not a key\n")
    bundle = tmp_path / "bundle"
    result = run_cli(
        "bundle", "--env", "prod", "--output", str(bundle), "--sign", str(junk), cwd=demo_repo
    )
    assert result.code == 2, result.stderr
    assert "not an OpenSSH or PEM private key" in result.stderr
    assert not bundle.exists()


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen not installed")
def test_the_signature_verifies_with_ssh_keygen(signed: tuple[Path, Path], tmp_path: Path) -> None:
    bundle, public = signed
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f"ci {public.read_text()}")
    with (bundle / "bundle.json").open("rb") as message:
        done = subprocess.run(
            [
                *("ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "ci"),
                *("-n", "gitops-validator-bundle", "-s", str(bundle / "bundle.sig")),
            ],
            stdin=message,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert done.returncode == 0, done.stderr


def test_a_deeply_nested_manifest_is_a_verification_failure(
    demo_repo: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    assert run_cli("bundle", "--env", "prod", "--output", str(bundle), cwd=demo_repo).code == 0
    (bundle / "bundle.json").write_text("[" * 100_000 + "]" * 100_000)
    result = _apply(run_cli, bundle, tmp_path)
    assert result.code == 6, result.stderr
    assert "nested too deeply" in result.stderr
