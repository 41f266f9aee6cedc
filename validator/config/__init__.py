"""Discover, load, validate and resolve gitops-validator.yaml into a frozen Settings."""

from validator.config.resolve import Overrides, resolve_settings

__all__ = ["Overrides", "resolve_settings"]
