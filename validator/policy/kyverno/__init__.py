"""Kyverno kyverno.io ClusterPolicy / Policy validate rules, offline (see families.py).

Entry points: family.KYVERNO (the policy family), testformat.KYVERNO_TESTS (kyverno-test.yaml).
"""
