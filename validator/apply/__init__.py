"""Apply stage: server-side apply of a verified bundle, drift detection, guarded pruning, health.

Never imports another stage: secrets are resolved by an injected callable (`Resolver`).
"""

from validator.apply.engine import ImmutableFieldError, Resolver, apply_resources, detect_drift
from validator.apply.kube import (
    ApplyError,
    ClusterUnreachableError,
    KubeApiError,
    KubeClient,
    UnknownKindError,
)
from validator.apply.options import (
    PROTECTED_KINDS,
    RECREATE_ANNOTATION,
    ApplyOptions,
    FieldRule,
    parse_field_rules,
)
from validator.apply.prepare import UnresolvedSecretError
from validator.apply.reconcile import IterationFailure, ReconcileSummary, reconcile
from validator.apply.report import (
    Action,
    ApplyReport,
    DriftedField,
    HealthResult,
    ObjectResult,
    PruneResult,
    write_report,
)

__all__ = [
    "PROTECTED_KINDS",
    "RECREATE_ANNOTATION",
    "Action",
    "ApplyError",
    "ApplyOptions",
    "ApplyReport",
    "ClusterUnreachableError",
    "DriftedField",
    "FieldRule",
    "HealthResult",
    "ImmutableFieldError",
    "IterationFailure",
    "KubeApiError",
    "KubeClient",
    "ObjectResult",
    "PruneResult",
    "ReconcileSummary",
    "Resolver",
    "UnknownKindError",
    "UnresolvedSecretError",
    "apply_resources",
    "detect_drift",
    "parse_field_rules",
    "reconcile",
    "write_report",
]
