"""gitops-validator: render, prove secret hygiene, validate and apply GitOps repositories."""

# The single source of the version (pyproject.toml reads it): importlib.metadata would cost
# `--version` more than the rest of its start-up.
__version__ = "0.1.0"
