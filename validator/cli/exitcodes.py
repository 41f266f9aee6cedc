"""The one place that decides exit codes (DESIGN §3.1)."""

from __future__ import annotations

from enum import IntEnum

from validator.model import (
    AccessError,
    BlockingFindingsError,
    ConfigError,
    DeliveryError,
    NothingToValidateError,
    ToolMissingError,
    UsageError,
    ValidatorError,
    VerificationError,
)
from validator.outcome import ValidationReport


class ExitCode(IntEnum):
    OK = 0
    BLOCKING_FINDINGS = 1
    USAGE = 2
    INVALID_CONFIG = 3
    TOOL_MISSING = 4
    NOTHING_TO_VALIDATE = 5
    BUNDLE_VERIFICATION = 6
    APPLY_OR_DRIFT = 7
    CLUSTER_ACCESS = 8
    INTERNAL = 70
    INTERRUPTED = 130


# First match wins: an error may be two things (a Vault outage during apply is a broken tool).
_BY_ERROR: tuple[tuple[type[ValidatorError], ExitCode], ...] = (
    (AccessError, ExitCode.CLUSTER_ACCESS),
    (ConfigError, ExitCode.INVALID_CONFIG),
    (ToolMissingError, ExitCode.TOOL_MISSING),
    (BlockingFindingsError, ExitCode.BLOCKING_FINDINGS),
    (VerificationError, ExitCode.BUNDLE_VERIFICATION),
    (DeliveryError, ExitCode.APPLY_OR_DRIFT),
    (UsageError, ExitCode.USAGE),
    (NothingToValidateError, ExitCode.NOTHING_TO_VALIDATE),
)


def for_error(error: ValidatorError) -> ExitCode:
    for error_type, code in _BY_ERROR:
        if isinstance(error, error_type):
            return code
    return ExitCode.INTERNAL


def for_report(report: ValidationReport) -> ExitCode:
    return ExitCode.OK if report.passed else ExitCode.BLOCKING_FINDINGS
