"""The one place that decides exit codes (DESIGN §3.1)."""

from __future__ import annotations

from enum import IntEnum

from validator.apply import ApplyError
from validator.bundle import BundleError, BundleRefusedError, BundleVerificationError
from validator.model import (
    ConfigError,
    NothingToValidateError,
    ToolMissingError,
    UsageError,
    ValidationReport,
    ValidatorError,
)
from validator.secrets.errors import (
    SecretResolutionError,
    VaultAuthenticationError,
    VaultConfigurationError,
    VaultUnreachableError,
)


class ExitCode(IntEnum):
    OK = 0
    BLOCKING_FINDINGS = 1
    USAGE = 2
    INVALID_CONFIG = 3
    TOOL_MISSING = 4
    NOTHING_TO_VALIDATE = 5
    BUNDLE_VERIFICATION = 6
    APPLY_OR_DRIFT = 7
    INTERNAL = 70
    INTERRUPTED = 130


_BY_ERROR: tuple[tuple[type[ValidatorError], ExitCode], ...] = (
    (VaultConfigurationError, ExitCode.INVALID_CONFIG),
    (VaultUnreachableError, ExitCode.TOOL_MISSING),
    (VaultAuthenticationError, ExitCode.TOOL_MISSING),
    (BundleRefusedError, ExitCode.BLOCKING_FINDINGS),
    (BundleVerificationError, ExitCode.BUNDLE_VERIFICATION),
    (BundleError, ExitCode.USAGE),
    (ApplyError, ExitCode.APPLY_OR_DRIFT),
    (SecretResolutionError, ExitCode.APPLY_OR_DRIFT),
    (UsageError, ExitCode.USAGE),
    (ConfigError, ExitCode.INVALID_CONFIG),
    (ToolMissingError, ExitCode.TOOL_MISSING),
    (NothingToValidateError, ExitCode.NOTHING_TO_VALIDATE),
)


def for_error(error: ValidatorError) -> ExitCode:
    for error_type, code in _BY_ERROR:
        if isinstance(error, error_type):
            return code
    return ExitCode.INTERNAL


def for_report(report: ValidationReport) -> ExitCode:
    return ExitCode.OK if report.passed else ExitCode.BLOCKING_FINDINGS
