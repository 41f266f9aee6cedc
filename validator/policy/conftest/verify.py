"""`conftest verify` for `policy test`: every `test_*` rule of a policy directory must be true.

conftest compiles everything under `--policy` together; a library of examples keeps one policy
set per directory, so each directory holding .rego files is compiled as one unit (its modules
and the data files next to them), like `conftest verify --policy <dir>`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from validator.policy.conftest.builtins import extensions
from validator.policy.conftest.family import read_modules, rego_files
from validator.policy.errors import PolicyError
from validator.policy.rego.engine import RegoEngine, RegoError
from validator.policy.testing import CaseResult


def rego_units(paths: Iterable[Path]) -> dict[Path, list[Path]]:
    units: dict[Path, list[Path]] = defaultdict(list)
    for file in rego_files(paths):
        units[file.parent].append(file)
    return dict(units)


def verify(directory: Path, files: list[Path]) -> tuple[list[CaseResult], list[str]]:
    """Results of the directory's test_ rules; errors when it has none or does not compile."""
    try:
        engine = RegoEngine(read_modules(files), extensions=extensions(directory))
    except PolicyError as error:
        return [], [f"{directory}: {error}"]
    results = [
        _run(engine, directory, package, rule)
        for package in engine.packages()
        for rule in engine.rule_names(package)
        if rule.startswith("test_")
    ]
    if not results and any(f.name.endswith("_test.rego") for f in files):
        return [], [f"{directory}: test files define no test_ rules"]
    return results, []


def _run(engine: RegoEngine, directory: Path, package: str, rule: str) -> CaseResult:
    def result(actual: str, detail: str = "") -> CaseResult:
        return CaseResult(
            test=rule, file=str(directory), policy=f"{package}/{rule}", resource=directory.name,
            expected="pass", actual=actual, ok=actual == "pass", detail=detail,
        )  # fmt: skip

    try:
        value: Any = engine.clone().read(f"{package}.{rule}")
    except RegoError as error:
        return result("error", str(error))
    if value is not None and value is not False:  # OPA: a test passes when defined, not false
        return result("pass")
    return result("fail", "undefined" if value is None else "evaluated to false")
