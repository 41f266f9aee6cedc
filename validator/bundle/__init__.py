"""Bundles: the verified, still-encrypted objects of one environment with their digests."""

from validator.bundle.build import build_bundle, findings_summary, write_archive
from validator.bundle.manifest import (
    BundleError,
    BundleManifest,
    BundleObject,
    BundleRefusedError,
    BundleVerificationError,
)
from validator.bundle.signing import SIGNATURE_FILE, load_private_key, load_public_key
from validator.bundle.verify import VerifiedBundle, verify_bundle

__all__ = [
    "SIGNATURE_FILE",
    "BundleError",
    "BundleManifest",
    "BundleObject",
    "BundleRefusedError",
    "BundleVerificationError",
    "VerifiedBundle",
    "build_bundle",
    "findings_summary",
    "load_private_key",
    "load_public_key",
    "verify_bundle",
    "write_archive",
]
