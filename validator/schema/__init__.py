"""The schema stage: built-in Kubernetes schemas per version, CRD schemas and their CEL rules,
and the object rules the API server enforces beyond the schema.

Entry point: `validate_environment(env, settings, old_resources=None)`; a shared
`SchemaValidator` keeps compiled schemas between environments and is thread-safe.
"""

from validator.schema.catalog import SchemaCatalogError, bundled_versions, resolve_version
from validator.schema.environment import (
    SCHEMA_DEPRECATED_API,
    SCHEMA_INVALID,
    SCHEMA_UNKNOWN_KIND,
)
from validator.schema.stage import SchemaValidator, validate_environment

__all__ = [
    "SCHEMA_DEPRECATED_API",
    "SCHEMA_INVALID",
    "SCHEMA_UNKNOWN_KIND",
    "SchemaCatalogError",
    "SchemaValidator",
    "bundled_versions",
    "resolve_version",
    "validate_environment",
]
