"""Rule ids and the one way this stage builds findings.

Every message is written from key paths, file names and salted hashes only: a secret value
never reaches a finding, so no caller has to remember to redact.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from validator.model import Category, Finding, Resource, Severity, SourceLocation

SECRET_PLAINTEXT = "secret-plaintext"
SECRET_LEAK = "secret-leak"
SECRET_FILE_FORBIDDEN = "secret-file-forbidden"
SOPS_INVALID_METADATA = "sops-invalid-metadata"
SOPS_UNENCRYPTED_VALUE = "sops-unencrypted-value"
SOPS_NO_CREATION_RULE = "sops-no-creation-rule"
SOPS_RECIPIENTS_MISMATCH = "sops-recipients-mismatch"
SOPS_KEY_PROVIDER_DENIED = "sops-key-provider-denied"
SECRET_REF_INVALID = "secret-ref-invalid"
SECRET_REF_SCHEME_DENIED = "secret-ref-scheme-denied"

# Used when the caller gives no salt. A per-organisation salt (see the report) makes the
# hashes useless as a dictionary-attack oracle outside that organisation.
DEFAULT_HASH_SALT = "gitops-validator/secret-hash/v1"


def salted_hash(value: str | bytes, salt: str = DEFAULT_HASH_SALT) -> str:
    """A short keyed digest that identifies a value (for baselines) without revealing it."""
    data = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
    digest = hmac.new(salt.encode(), data, hashlib.sha256).hexdigest()
    return f"sha256:{digest[:16]}"


def hash_note(value_hash: str) -> str:
    return f"(value {value_hash}, salted)"


def json_pointer(parts: Sequence[str | int]) -> str:
    """RFC 6901 pointer for a path of map keys and list indices."""
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "".join("/" + part for part in escaped)


def key_path(parts: Sequence[str | int]) -> str:
    """Human-readable path such as `data.password` or `items[0].token`."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(root)"


def file_finding(
    rule_id: str,
    message: str,
    file: str,
    line: int = 1,
    severity: Severity = Severity.ERROR,
) -> Finding:
    return Finding(
        rule_id=rule_id,
        category=Category.SECRETS,
        severity=severity,
        message=message,
        location=SourceLocation(file=file, line=max(line, 1)),
    )


def object_finding(
    rule_id: str,
    message: str,
    resource: Resource,
    path: Sequence[str | int],
    severity: Severity = Severity.ERROR,
) -> Finding:
    return Finding(
        rule_id=rule_id,
        category=Category.SECRETS,
        severity=severity,
        message=message,
        environment=resource.environment,
        resource=resource.ref,
        path=json_pointer(path),
    )
