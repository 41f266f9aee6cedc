"""`policy test` for the Rego families: gator Suites and conftest verify (`test_` rules)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from validator.policy.conftest.verify import rego_units, verify
from validator.policy.errors import PolicyError
from validator.policy.gatekeeper.suite import is_suite, run_suite
from validator.policy.loader import read_yaml_documents
from validator.policy.testing import CaseResult


def run_family_tests(
    paths: Sequence[Path], yaml_files: Sequence[Path], prefer_rego: bool = False
) -> tuple[list[CaseResult], list[str], bool]:
    """(results, errors, found): found tells whether any suite or Rego test unit was seen."""
    results: list[CaseResult] = []
    errors: list[str] = []
    found = False
    for file in yaml_files:
        try:
            bodies = read_yaml_documents(file)
        except PolicyError:
            continue  # the test-manifest reader reports unreadable files already
        for body in bodies:
            if is_suite(body):
                found = True
                suite_results, suite_errors = run_suite(body, file, prefer_rego)
                results.extend(suite_results)
                errors.extend(suite_errors)
    for directory, files in sorted(rego_units(paths).items()):
        unit_results, unit_errors = verify(directory, files)
        found = found or bool(unit_results or unit_errors)
        results.extend(unit_results)
        errors.extend(unit_errors)
    return results, errors, found
