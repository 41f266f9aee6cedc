"""The `ENC[AES256_GCM,…]` value format, checked without a key (getsops/sops aes/cipher.go)."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

# sops' own parse regex is anchored at the start only; we also require the closing bracket
# to end the value so trailing garbage is caught.
ENC_PATTERN = re.compile(r"^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]$", re.DOTALL)
ENC_ANYWHERE = re.compile(r"ENC\[AES256_GCM,[^\]\s]*\]")
ENC_PREFIX = "ENC["

VALUE_TYPES = frozenset({"str", "int", "float", "bool", "bytes", "time", "comment"})
IV_BYTES = 32  # sops: const nonceSize int = 32
TAG_BYTES = 16
MAC_PLAINTEXT_BYTES = 128  # uppercase hex of a SHA-512


@dataclass(frozen=True, slots=True)
class EncryptedValue:
    ciphertext_len: int
    value_type: str


class EncFormatError(ValueError):
    """Why an `ENC[…]` string is malformed; the message never contains the string."""


def looks_encrypted(value: object) -> bool:
    return isinstance(value, str) and value.startswith(ENC_PREFIX)


def _decode(field: str, text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise EncFormatError(f"{field} is not valid standard base64") from None


def parse_enc(value: str) -> EncryptedValue:
    """Check the envelope of one value: base64 fields, 32-byte iv, 16-byte tag, known type."""
    match = ENC_PATTERN.match(value)
    if match is None:
        raise EncFormatError("does not match ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]")
    data_b64, iv_b64, tag_b64, value_type = match.groups()
    data = _decode("data", data_b64)
    iv = _decode("iv", iv_b64)
    tag = _decode("tag", tag_b64)
    if len(iv) != IV_BYTES:
        raise EncFormatError(f"iv is {len(iv)} bytes, sops writes {IV_BYTES}")
    if len(tag) != TAG_BYTES:
        raise EncFormatError(f"tag is {len(tag)} bytes, expected {TAG_BYTES}")
    if value_type not in VALUE_TYPES:
        raise EncFormatError(
            "unknown type (expected one of " + ", ".join(sorted(VALUE_TYPES)) + ")"
        )
    return EncryptedValue(ciphertext_len=len(data), value_type=value_type)


def check_mac(value: object) -> str | None:
    """Problem with the stored MAC, or None when it has the shape sops writes."""
    if not isinstance(value, str) or not value:
        return "mac is missing"
    try:
        parsed = parse_enc(value)
    except EncFormatError as error:
        return f"mac {error}"
    if parsed.value_type != "str":
        return "mac must have type:str"
    if parsed.ciphertext_len != MAC_PLAINTEXT_BYTES:
        return f"mac holds {parsed.ciphertext_len} bytes, a SHA-512 hex MAC has 128"
    return None
