"""Verify a bundle (directory or .tar.gz) before anything is applied from it.

Verification reads every file into memory once and checks it there, so what is verified is
exactly what is applied (no second read that a concurrent edit could change).
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from validator.bundle.manifest import (
    MANIFEST_FILE,
    OBJECTS_DIR,
    BundleManifest,
    BundleVerificationError,
    sha256_hex,
)
from validator.bundle.signing import SIGNATURE_FILE, verify
from validator.model import Resource, ResourceRef

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

MAX_FILE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class VerifiedBundle:
    manifest: BundleManifest
    resources: tuple[Resource, ...]
    source: Path

    @property
    def environment(self) -> str:
        return self.manifest.environment

    @property
    def digest(self) -> str:
        return self.manifest.digest


def verify_bundle(path: Path, public_key: Ed25519PublicKey | None = None) -> VerifiedBundle:
    """Check the signature (with `public_key`), the manifest digest, every object's SHA-256,
    that no object was added or removed, and that the bundle records no blocking findings."""
    files = _read_archive(path) if path.is_file() else _read_directory(path)
    return verify_files(files, source=path, public_key=public_key)


def verify_files(
    files: Mapping[str, bytes], *, source: Path, public_key: Ed25519PublicKey | None = None
) -> VerifiedBundle:
    if MANIFEST_FILE not in files:
        raise BundleVerificationError(f"{source}: no {MANIFEST_FILE}; not a bundle")
    if public_key is not None:
        if SIGNATURE_FILE not in files:
            raise BundleVerificationError(f"{source}: unsigned ({SIGNATURE_FILE} is missing)")
        verify(
            files[MANIFEST_FILE], files[SIGNATURE_FILE], public_key, f"{source}: {SIGNATURE_FILE}"
        )
    manifest = BundleManifest.from_bytes(files[MANIFEST_FILE])
    if manifest.computed_digest() != manifest.digest:
        raise BundleVerificationError(f"{source}: {MANIFEST_FILE} was modified (digest mismatch)")
    if manifest.findings.get("blocking") is not False:
        # A bundle is never written for a blocking environment; one that says so was edited.
        raise BundleVerificationError(f"{source}: {MANIFEST_FILE} records blocking findings")
    listed = {entry.file for entry in manifest.objects}
    present = {name for name in files if name not in (MANIFEST_FILE, SIGNATURE_FILE)}
    for extra in sorted(present - listed):
        raise BundleVerificationError(f"{source}: {extra} is not listed in {MANIFEST_FILE}")
    for missing in sorted(listed - present):
        raise BundleVerificationError(f"{source}: {missing} is listed but missing")
    resources = []
    for entry in manifest.objects:
        data = files[entry.file]
        if sha256_hex(data) != entry.sha256:
            raise BundleVerificationError(f"{source}: {entry.file} was modified (SHA-256 mismatch)")
        try:
            body = json.loads(data)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise BundleVerificationError(f"{source}: {entry.file} is not JSON") from None
        if not isinstance(body, dict) or ResourceRef.of(body) != entry.ref:
            raise BundleVerificationError(f"{source}: {entry.file} does not hold {entry.ref.key}")
        resources.append(Resource(ref=entry.ref, body=body, environment=manifest.environment))
    return VerifiedBundle(manifest=manifest, resources=tuple(resources), source=source)


def _read_directory(root: Path) -> dict[str, bytes]:
    if not root.is_dir():
        raise BundleVerificationError(f"{root}: no such bundle directory or archive")
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink():
            raise BundleVerificationError(f"{root}: {relative} is a symbolic link")
        if path.is_dir():
            if relative != OBJECTS_DIR:
                raise BundleVerificationError(f"{root}: unexpected directory {relative}")
            continue
        files[relative] = _bounded(path.read_bytes(), relative, root)
    return files


def _read_archive(archive: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar.getmembers():
                name = _safe_member_name(member, archive)
                if member.isdir():
                    continue
                stream = tar.extractfile(member)
                if stream is None:
                    raise BundleVerificationError(f"{archive}: {name} is not a regular file")
                files[name] = _bounded(stream.read(MAX_FILE_BYTES + 1), name, archive)
    except (tarfile.TarError, OSError, EOFError) as error:
        message = f"{archive}: not a readable .tar.gz bundle ({error})"
        raise BundleVerificationError(message) from None
    return files


def _safe_member_name(member: tarfile.TarInfo, archive: Path) -> str:
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts or not (member.isfile() or member.isdir()):
        raise BundleVerificationError(f"{archive}: unsafe archive member {member.name!r}")
    return path.as_posix()


def _bounded(data: bytes, name: str, source: Path) -> bytes:
    if len(data) > MAX_FILE_BYTES:
        raise BundleVerificationError(f"{source}: {name} is larger than {MAX_FILE_BYTES} bytes")
    return data
