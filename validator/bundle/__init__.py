"""Bundles: the verified, still-encrypted objects of one environment with their digests."""

from validator.bundle.build import build_bundle, findings_summary, write_archive
from validator.bundle.manifest import (
    BundleError,
    BundleManifest,
    BundleObject,
    BundleRefusedError,
    BundleVerificationError,
)
from validator.bundle.verify import VerifiedBundle, verify_bundle

__all__ = [
    "BundleError",
    "BundleManifest",
    "BundleObject",
    "BundleRefusedError",
    "BundleVerificationError",
    "VerifiedBundle",
    "build_bundle",
    "findings_summary",
    "verify_bundle",
    "write_archive",
]
