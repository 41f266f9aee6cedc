"""gitops-validator: render, prove secret hygiene, validate and apply GitOps repositories."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gitops-validator")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
