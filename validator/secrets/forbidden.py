"""Files that must never be committed: decrypted leftovers, private keys, tokens, kubeconfigs."""

from __future__ import annotations

import posixpath
import re

_DECRYPTED_SUFFIXES = (".dec", ".decrypted")
_KUBECONFIG_NAMES = frozenset({"kubeconfig", ".kubeconfig"})
# Spelled in two parts so that key scanners (ours included) do not take the pattern for a key.
_AGE_SECRET = re.compile(r"AGE-SECRET-" r"KEY-1[0-9A-Z]{58}")
# split so that this source file does not itself look like a key
_PGP_SECRET = re.compile(r"(?m)^-----BEGIN PGP PRIVATE" r" KEY BLOCK-----\s*$")
_KUBECONFIG_KIND = re.compile(r"(?m)^kind:\s*[\"']?Config[\"']?\s*$")
_KUBECONFIG_PARTS = (re.compile(r"(?m)^users:"), re.compile(r"(?m)^clusters:"))
# The header a deliberately committed test key must carry in its first lines.
_TEST_KEY_HEADER = re.compile(r"(?i)^\s*#.*\btest\b.*\b(key|only)\b")
_HEADER_LINES = 5


def is_marked_test_key(path: str, text: str) -> bool:
    """A key under `tests/` whose file name and header both say it is a test key."""
    parts = path.split("/")
    if "tests" not in parts[:-1] or "test" not in parts[-1].lower():
        return False
    return any(_TEST_KEY_HEADER.match(line) for line in text.splitlines()[:_HEADER_LINES])


def forbidden_reason(path: str, text: str | None) -> str | None:
    """Why `path` (repository-relative) must not be committed, or None. `text` may be None."""
    name = posixpath.basename(path)
    lowered = name.lower()
    if lowered.endswith(_DECRYPTED_SUFFIXES) or ".decrypted." in lowered:
        return "a decrypted copy of a secret file"
    if name == ".vault-token":
        return "a Vault token file"
    if (
        lowered in _KUBECONFIG_NAMES
        or lowered.endswith(".kubeconfig")
        or path.endswith(".kube/config")
    ):
        return "a kubeconfig (cluster credentials)"
    content = text or ""
    if lowered.endswith(".agekey") or _AGE_SECRET.search(content):
        return None if is_marked_test_key(path, content) else "an age private key"
    if _PGP_SECRET.search(content):
        return None if is_marked_test_key(path, content) else "a PGP private key"
    if _KUBECONFIG_KIND.search(content) and all(part.search(content) for part in _KUBECONFIG_PARTS):
        return "a kubeconfig (cluster credentials)"
    return None
