"""Leak detectors: vendor token shapes, key material, credentials in URLs, entropy by name.

Detectors run on text in which sops ciphertext has been masked, so `ENC[…]` never matches.
A detection carries the matched secret only so the caller can hash it; it is never shown.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from validator.secrets.sops_values import ENC_ANYWHERE

_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    r"(?:[\s\S]{0,16384}?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?"
)
_PLACEHOLDER = re.compile(
    r"^(\$\{[^}]*\}|\$\([^)]*\)|\{\{.*\}\}|\{[A-Za-z_][\w.]*\}|<[^>]*>|%[^%]*%|\*+|x+|\.\.\.)$"
)
SECRET_NAME = re.compile(
    r"(?i)(passw(or)?d|passwd|pwd|secret|token|api[_-]?key|private[_-]?key|credential"
    r"|auth[_-]?key|access[_-]?key|signing[_-]?key|encryption[_-]?key|dsn)"
)
_NOT_A_SECRET_NAME = re.compile(
    r"(?i)([_-]?(file|path|name|ref|dir|id|length|ttl|expiry|expires|enabled|type|mount|key_?ref))$"
)


@dataclass(frozen=True, slots=True)
class Detection:
    detector: str  # human description, e.g. "GitHub token"
    secret: str  # the matched value: hash it, never print it
    start: int  # offset in the scanned text


@dataclass(frozen=True, slots=True)
class _Detector:
    description: str
    pattern: re.Pattern[str]
    group: int = 0
    accept: Callable[[str], bool] | None = None


def is_placeholder(value: str) -> bool:
    """`${VAR}`, `$(VAR)`, `{{ … }}`, `<key>`, masks — not secrets themselves."""
    return bool(_PLACEHOLDER.match(value.strip())) or value.startswith(("ref+", "secretref+"))


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _pem_in_base64(blob: str) -> bool:
    decoded = _b64(blob)
    return decoded is not None and b"PRIVATE KEY" in decoded


def _basic_auth_in_base64(blob: str) -> bool:
    decoded = _b64(blob)
    if decoded is None:
        return False
    user, sep, password = decoded.decode("utf-8", "replace").partition(":")
    return bool(sep and user and password and not is_placeholder(password))


_DETECTORS = (
    _Detector("private key", _PRIVATE_KEY),
    _Detector("base64-encoded private key", re.compile(r"LS0tLS1CRUdJTi[A-Za-z0-9+/=]{40,}"),
              accept=_pem_in_base64),
    _Detector("age secret key", re.compile(r"AGE-SECRET-" r"KEY-1[0-9A-Z]{58}")),
    _Detector("AWS access key id", re.compile(r"\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b"), 1,
              accept=lambda value: not value.endswith("EXAMPLE")),
    _Detector("AWS secret access key", re.compile(
        r"(?i)aws_?secret_?access_?key[\"']?\s*[:=]\s*[\"']?"
        r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"), 1),
    _Detector("GCP service-account key", re.compile(
        r"\"private_key_id\"\s*:\s*\"([0-9a-f]{40})\""), 1),
    _Detector("GCP API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    _Detector("GitHub token", re.compile(
        r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{50,255})\b")),
    _Detector("GitLab token", re.compile(
        r"\bgl(?:pat|dt|rt|ptt|ft|soat|cbt|imt|agent)-[A-Za-z0-9_\-]{20,}\b")),
    _Detector("Slack token", re.compile(r"\bxox[abposr]-(?:[A-Za-z0-9]+-)*[A-Za-z0-9]{10,}\b")),
    _Detector("Slack webhook", re.compile(
        r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{20,}")),
    _Detector("Vault token", re.compile(r"\bhv[sb]\.[A-Za-z0-9_\-]{24,}")),
    _Detector("JWT", re.compile(
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    _Detector("password in a URL", re.compile(
        r"\b[a-zA-Z][a-zA-Z0-9+.\-]{1,20}://[^\s:/@'\"]+:([^\s@/'\"]+)@[^\s'\"]+"), 1,
              accept=lambda value: not is_placeholder(value)),
    _Detector("registry credentials (.dockerconfigjson auth)", re.compile(
        r"\"auth\"\s*:\s*\"([A-Za-z0-9+/=]{8,})\""), 1, accept=_basic_auth_in_base64),
    _Detector("kubeconfig client key", re.compile(
        r"client-key-data\"?\s*:\s*\"?([A-Za-z0-9+/=]{20,})"), 1),
)  # fmt: skip


def mask_ciphertext(text: str) -> str:
    """Blank `ENC[…]` values, keeping offsets and line numbers intact."""
    return ENC_ANYWHERE.sub(lambda match: " " * len(match.group(0)), text)


# Every detector needs one of these substrings: a cheap gate before sixteen regexes.
_TRIGGERS = re.compile(
    r"PRIVATE KEY|LS0tLS1CRUdJTi|AGE-SECRET-KEY|AKIA|ASIA|ABIA|ACCA|(?i:aws_?secret)"
    r"|private_key_id|AIza|gh[pousr]_|github_pat_|gl[a-z]{1,5}-|xox|hooks\.slack|hv[sb]\.|eyJ"
    r"|://|\"auth\"|client-key-data"
)


def find_leaks(text: str) -> Iterator[Detection]:
    if not _TRIGGERS.search(text):
        return
    masked = mask_ciphertext(text)
    for detector in _DETECTORS:
        for match in detector.pattern.finditer(masked):
            secret = match.group(detector.group)
            if detector.accept is None or detector.accept(secret):
                yield Detection(detector.description, secret, match.start(detector.group))


def shannon_entropy(value: str) -> float:
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values()) if total else 0.0


def is_secret_name(name: str) -> bool:
    return bool(SECRET_NAME.search(name)) and not _NOT_A_SECRET_NAME.search(name)


def looks_like_secret_value(value: str) -> bool:
    """High-entropy literal, not a placeholder, path, plain URL or reference."""
    value = value.strip()
    if len(value) < 8 or is_placeholder(value) or value.startswith(("/", "./", "ENC[")):
        return False
    if any(char.isspace() for char in value):  # sentences and config files, not tokens
        return False
    if any(marker in value for marker in ("${", "$(", "{{")):  # templated, filled in later
        return False
    if "://" in value and "@" not in value:
        return False
    return shannon_entropy(value) >= 3.0


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
