"""conftest: Rego deny/violation/warn rules over rendered objects, conftest verify tests."""
