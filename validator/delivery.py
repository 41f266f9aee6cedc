"""Bundle, apply, drift and reconcile: the delivery half of the composition root.

Wires the validate pipeline, the bundle stage, the apply stage and the secrets resolver
together; like `pipeline.py` it returns data and never prints.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validator import apply, bundle, gitrev, pipeline
from validator.model import Resource, Settings, UsageError


@dataclass(frozen=True, slots=True)
class ClusterTarget:
    kubeconfig: Path | None = None
    context: str | None = None


def config_digest(settings: Settings) -> str:
    content = settings.config_file.read_bytes() if settings.config_file else b""
    return "sha256:" + hashlib.sha256(content).hexdigest()


def bundle_environment(
    settings: Settings,
    name: str,
    out_dir: Path,
    *,
    sign_key: Path | None = None,
    use_cache: bool = False,
) -> bundle.BundleManifest:
    """Validate one environment and, when nothing blocks, write its bundle (signed with
    `sign_key`). The render is fresh unless `use_cache`: a bundle is what reaches a cluster,
    so it never rests on a cache entry another run (or another branch's CI) left behind."""
    signing_key = bundle.load_private_key(sign_key) if sign_key else None
    fresh = settings if use_cache else dataclasses.replace(settings, use_cache=False)
    report = pipeline.validate(fresh, pipeline.ValidateRequest(environments=(name,)))
    [env] = report.environments
    return bundle.build_bundle(
        env,
        report,
        out_dir,
        git_revision=gitrev.head_revision(settings.repo_root),
        config_digest=config_digest(settings),
        signing_key=signing_key,
    )


def apply_options(settings: Settings, **flags: Any) -> apply.ApplyOptions:
    rules = settings.apply
    max_deletions = flags.pop("max_deletions", None)
    return apply.ApplyOptions(
        max_deletions=rules.max_deletions if max_deletions is None else max_deletions,
        prune_protected_kinds=frozenset(rules.prune_kinds),
        ignore_rules=apply.parse_field_rules(list(rules.ignore)),
        sensitive_rules=apply.parse_field_rules(list(rules.sensitive), what="sensitive"),
        **flags,
    )


def run_bundle(
    settings: Settings,
    bundle_path: Path,
    target: ClusterTarget,
    options: apply.ApplyOptions,
    *,
    drift_only: bool = False,
    verify_key: Path | None = None,
) -> apply.ApplyReport:
    """Verify a bundle (its signature with `verify_key`), then apply it (or only detect drift)
    with secrets resolved in memory."""
    if verify_key is None and settings.apply.require_signature:
        raise bundle.BundleVerificationError(
            f"{bundle_path}: apply.requireSignature is set: pass --verify-key with the "
            "public key the bundle was signed with"
        )
    public_key = bundle.load_public_key(verify_key) if verify_key else None
    verified = bundle.verify_bundle(bundle_path, public_key)
    run = apply.detect_drift if drift_only else apply.apply_resources
    with apply.KubeClient.from_kubeconfig(target.kubeconfig, target.context) as client:
        client.ping()  # before run() decrypts anything: a dead cluster never sees a secret resolved
        return run(
            verified.resources,
            environment=verified.environment,
            client=client,
            resolve=_resolver(settings),
            options=options,
            revision=verified.digest,
        )


def reconcile_once(
    settings: Settings, name: str, target: ClusterTarget, options: apply.ApplyOptions
) -> apply.ApplyReport:
    """render → validate → bundle → verify → apply, with the bundle in a scratch directory."""
    with tempfile.TemporaryDirectory(prefix="gitops-validator-bundle-") as scratch:
        directory = Path(scratch) / "bundle"
        bundle_environment(settings, name, directory)
        return run_bundle(settings, directory, target, options)


def parse_interval(text: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    number, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "s")
    try:
        seconds = float(number) * units[unit]
    except ValueError:
        raise UsageError(f"interval must look like 30s, 5m or 1h, not {text!r}") from None
    if seconds <= 0:
        raise UsageError("interval must be positive")
    return seconds


def _resolver(settings: Settings) -> apply.Resolver:
    def resolve(resources: Sequence[Resource]) -> list[dict[str, Any]]:
        # Imported here: only apply needs hvac and the sops runner.
        from validator.secrets.vault import resolve_secrets

        return resolve_secrets(resources, settings)

    return resolve
