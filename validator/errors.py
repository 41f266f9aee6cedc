"""The errors library code raises; only the CLI turns them into exit codes (cli/exitcodes.py).

Re-exported by `validator.model`, where stages import them from.
"""

from __future__ import annotations


class ValidatorError(Exception):
    """Base of every expected failure; its message is shown to the user as is."""


class UsageError(ValidatorError):
    pass


class ConfigError(ValidatorError):
    pass


class ToolMissingError(ValidatorError):
    pass


class NothingToValidateError(ValidatorError):
    pass


class BlockingFindingsError(ValidatorError):
    """Validation found what blocks the requested action (e.g. a bundle)."""


class VerificationError(ValidatorError):
    """A bundle's digests do not verify."""


class DeliveryError(ValidatorError):
    """Apply, drift or apply-time secret resolution failed."""


class AccessError(ValidatorError):
    """The cluster cannot be reached, or a credential apply needs (kubeconfig, cluster login,
    decryption key) is missing: nothing was decrypted or changed (exit 8)."""
