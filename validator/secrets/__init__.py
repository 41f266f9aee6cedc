"""The secrets stage: prove secret hygiene without decrypting anything.

Public entry points (the pipeline calls these):
- `scan_repository(settings, files=None)`: SOPS files, forbidden files and leaks in sources;
- `scan_environment(env, settings)`: plaintext Secrets, leaks and references in rendered objects.

Apply time and `--check-refs` live in their own modules, so that validation never imports
hvac (they are the only ones that contact Vault or decrypt):
- `validator.secrets.vault.resolve_secrets(resources, settings, *, environ, timeout)`;
- `validator.secrets.check_refs.check_references(resources, settings, *, environ, timeout)`;
- their errors: `validator.secrets.errors` (all subclasses of `SecretResolutionError`).
"""

from __future__ import annotations

from validator.model import Finding, RenderedEnvironment, Settings
from validator.secrets.allow import DEFAULT_BASELINE, baseline_document, load_baseline
from validator.secrets.findings import DEFAULT_HASH_SALT, salted_hash
from validator.secrets.references import SecretReference, check_reference
from validator.secrets.rendered import leaks, secret_plaintext, walk_strings
from validator.secrets.rendered_refs import reference_findings, uses_avp
from validator.secrets.repository import (
    baseline_path,
    list_repository_files,
    salt_for,
    scan_repository,
)

__all__ = [
    "DEFAULT_BASELINE",
    "DEFAULT_HASH_SALT",
    "SecretReference",
    "baseline_document",
    "check_reference",
    "list_repository_files",
    "salted_hash",
    "scan_environment",
    "scan_repository",
]


def scan_environment(
    env: RenderedEnvironment,
    settings: Settings,
    *,
    hash_salt: str | None = None,
    baseline: str | None = None,
) -> list[Finding]:
    """Secrets findings for the rendered objects of one environment (resource + JSON pointer).

    `hash_salt` and `baseline` default to `settings.secrets.hash_salt` / `.baseline`.
    """
    accepted = load_baseline(settings.repo_root / baseline_path(settings, baseline))
    salt = salt_for(settings, hash_salt)
    findings: list[Finding] = []
    avp = uses_avp(env.resources)
    for resource in env.resources:
        if resource.body.get("kind") == "Secret":
            findings.extend(secret_plaintext(resource, salt))
        strings = walk_strings(resource.body)  # read once, by both checks
        findings.extend(leaks(resource, salt, strings))
        findings.extend(
            reference_findings(resource, settings.secrets, settings.repo_root, avp, strings)
        )
    return [finding for finding in findings if not accepted.accepts(finding)]
