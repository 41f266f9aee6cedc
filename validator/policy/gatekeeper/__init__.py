"""OPA Gatekeeper: ConstraintTemplates (Rego and CEL), constraints, gator suites."""
