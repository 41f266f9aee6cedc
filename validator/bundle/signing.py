"""Ed25519 signatures over bundle.json, in the OpenSSH `SSHSIG` format.

Digests alone prove nothing: whoever edits an object can recompute them. A signature made with
a key the pipeline holds binds bundle.json, and through its per-object SHA-256 every object,
to that key. The format is the one `ssh-keygen -Y sign` writes, so a bundle can also be checked
with `ssh-keygen -Y verify -n gitops-validator-bundle` and signed with existing SSH keys.
Keys: OpenSSH (`ssh-keygen -t ed25519`) or PEM (PKCS#8 / SubjectPublicKeyInfo), Ed25519 only.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from validator.bundle.manifest import BundleError, BundleVerificationError

SIGNATURE_FILE = "bundle.sig"
NAMESPACE = b"gitops-validator-bundle"
_MAGIC = b"SSHSIG"
_HASH = b"sha512"
_KEY_TYPE = b"ssh-ed25519"
_BEGIN, _END = "-----BEGIN SSH SIGNATURE-----", "-----END SSH SIGNATURE-----"
MAX_KEY_BYTES = 64 * 1024


def load_private_key(path: Path) -> Ed25519PrivateKey:
    data = _read_key(path)
    for loader in (serialization.load_ssh_private_key, serialization.load_pem_private_key):
        try:
            key = loader(data, password=None)
        except TypeError:
            message = f"{path}: the key is passphrase-protected; use an unprotected key"
            raise BundleError(message) from None
        except (ValueError, UnsupportedAlgorithm):
            continue
        if isinstance(key, Ed25519PrivateKey):
            return key
        raise BundleError(f"{path}: not an Ed25519 key ({type(key).__name__})")
    raise BundleError(f"{path}: not an OpenSSH or PEM private key")


def load_public_key(path: Path) -> Ed25519PublicKey:
    data = _read_key(path)
    loaders = (serialization.load_ssh_public_key, serialization.load_pem_public_key)
    for loader in loaders:
        try:
            key = loader(data)
        except (ValueError, UnsupportedAlgorithm):
            continue
        if isinstance(key, Ed25519PublicKey):
            return key
        raise BundleError(f"{path}: not an Ed25519 public key ({type(key).__name__})")
    raise BundleError(f"{path}: not an OpenSSH (ssh-ed25519 AAAA…) or PEM public key")


def _read_key(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_KEY_BYTES or not path.is_file():
            raise BundleError(f"{path}: not a key file")
        return path.read_bytes()
    except OSError as error:
        raise BundleError(f"cannot read key {path}: {error.strerror}") from None


def sign(message: bytes, key: Ed25519PrivateKey) -> bytes:
    """An armored SSHSIG signature of `message`."""
    public = _public_blob(key.public_key())
    raw = key.sign(_signed_data(message))
    blob = (
        _MAGIC
        + (1).to_bytes(4, "big")
        + _string(public)
        + _string(NAMESPACE)
        + _string(b"")
        + _string(_HASH)
        + _string(_string(_KEY_TYPE) + _string(raw))
    )
    encoded = base64.b64encode(blob).decode()
    lines = [encoded[i : i + 70] for i in range(0, len(encoded), 70)]
    return "\n".join([_BEGIN, *lines, _END, ""]).encode()


def verify(message: bytes, signature: bytes, key: Ed25519PublicKey, where: str) -> None:
    """Raise BundleVerificationError unless `signature` is `key`'s signature of `message`."""
    fields = _parse(signature, where)
    if fields[0] != _public_blob(key):
        raise BundleVerificationError(f"{where}: signed with another key")
    if fields[1] != NAMESPACE or fields[3] != _HASH:
        raise BundleVerificationError(f"{where}: not a gitops-validator bundle signature")
    inner = _Reader(fields[4], where)
    if inner.string() != _KEY_TYPE:
        raise BundleVerificationError(f"{where}: not an Ed25519 signature")
    raw = inner.string()
    inner.end()
    try:
        key.verify(raw, _signed_data(message))
    except InvalidSignature:
        raise BundleVerificationError(f"{where}: the signature does not match") from None


def _parse(signature: bytes, where: str) -> list[bytes]:
    try:
        text = signature.decode("ascii").strip()
    except UnicodeDecodeError:
        raise BundleVerificationError(f"{where}: not an SSH signature") from None
    if not (text.startswith(_BEGIN) and text.endswith(_END)):
        raise BundleVerificationError(f"{where}: not an SSH signature")
    body = "".join(text[len(_BEGIN) : -len(_END)].split())
    try:
        blob = base64.b64decode(body, validate=True)
    except ValueError:
        raise BundleVerificationError(f"{where}: the signature is not base64") from None
    reader = _Reader(blob, where)
    if reader.take(6) != _MAGIC or reader.take(4) != (1).to_bytes(4, "big"):
        raise BundleVerificationError(f"{where}: not an SSHSIG version 1 signature")
    fields = [reader.string() for _ in range(5)]  # key, namespace, reserved, hash, signature
    reader.end()
    return fields


def _signed_data(message: bytes) -> bytes:
    digest = hashlib.sha512(message).digest()
    return _MAGIC + _string(NAMESPACE) + _string(b"") + _string(_HASH) + _string(digest)


def _public_blob(key: Ed25519PublicKey) -> bytes:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _string(_KEY_TYPE) + _string(raw)


def _string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


class _Reader:
    def __init__(self, data: bytes, where: str) -> None:
        self._data, self._offset, self._where = data, 0, where

    def take(self, count: int) -> bytes:
        if count < 0 or self._offset + count > len(self._data):
            raise BundleVerificationError(f"{self._where}: the signature is truncated")
        chunk = self._data[self._offset : self._offset + count]
        self._offset += count
        return chunk

    def string(self) -> bytes:
        return self.take(int.from_bytes(self.take(4), "big"))

    def end(self) -> None:
        if self._offset != len(self._data):
            raise BundleVerificationError(f"{self._where}: trailing bytes in the signature")
