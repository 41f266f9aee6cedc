"""Apply-time errors: one class per cause, so callers and tests can tell them apart.

Every message is built from labels (file names, reference paths, key names, exit codes) and
never from a value, a Vault response body or a subprocess' output: sops echoes malformed values
and Vault errors may quote request data, so neither is ever repeated.
"""

from __future__ import annotations

from validator.model import AccessError, ConfigError, DeliveryError


class SecretResolutionError(DeliveryError):
    """Decryption or resolution failed; the message names the input and the cause, never a value."""


class SopsKeyUnavailableError(SecretResolutionError, AccessError):
    """No available key unwraps the data key (sops exit 128)."""


class SopsMacMismatchError(SecretResolutionError):
    """The file changed after encryption (sops exit 51)."""


class SopsCiphertextError(SecretResolutionError):
    """A value does not decrypt: tampered, moved or malformed ciphertext (sops exit 24/25)."""


class SopsKeyProviderDeniedError(SecretResolutionError):
    """A sops key provider address (hc_vault) is not in the allowlist: no token is sent there."""


class SecretReferenceError(SecretResolutionError):
    """A reference is malformed, uses a scheme that is not allowed, or points outside the repo."""


class VaultConfigurationError(SecretResolutionError, ConfigError):
    """`secrets.vault` is missing or names something unusable (auth method, credentials)."""


class VaultCredentialsMissingError(VaultConfigurationError, AccessError):
    """The credential the auth method needs (VAULT_TOKEN, a secret id, a token file) is not
    there: exit 8 like a missing kubeconfig or SOPS key, nothing was decrypted."""


# Vault is where apply gets its credentials from, like the cluster it applies to: when it does
# not answer or refuses the login the run stops with exit 8 before anything is decrypted.
class VaultUnreachableError(SecretResolutionError, AccessError):
    """Vault/OpenBao did not answer (connection refused, timeout, TLS failure, sealed)."""


class VaultAuthenticationError(SecretResolutionError, AccessError):
    """Login failed: wrong or expired credentials, unknown role."""


class VaultPermissionDeniedError(SecretResolutionError, AccessError):
    """The token may not read the path (HTTP 403; Vault answers the same for an invalid
    token): credentials refused, exit 8."""


class SecretPathNotFoundError(SecretResolutionError):
    """Nothing is stored at the referenced path (or the pinned version does not exist)."""


class SecretKeyNotFoundError(SecretResolutionError):
    """The path exists but has no such key."""


class SecretVersionDeletedError(SecretResolutionError):
    """The requested KV v2 version was deleted or destroyed."""


class UnresolvedSecretError(SecretResolutionError):
    """After resolution an object still holds sops metadata, `ENC[`, `ref+` or `<path:`."""
