"""Errors the policy stage raises; the CLI turns them into exit codes."""

from __future__ import annotations

from validator.model import ConfigError


class PolicyError(ConfigError):
    """A policy, binding, exception or test file cannot be used as written (exit code 3)."""


class CelCompileError(PolicyError):
    """A CEL expression does not compile in the environment's Kubernetes version."""
