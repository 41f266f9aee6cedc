"""Rego through regorus, shared by the conftest and Gatekeeper families."""
