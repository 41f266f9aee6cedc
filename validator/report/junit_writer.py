"""JUnit XML: a testsuite per environment, a testcase per resource and check, passes included.

The checks of an environment are the ones it ran: `schema`, `secrets` and every policy in force
(`ValidationReport.checks`), so the number of testcases depends on the repository and the
configuration, never on what was found. Each finding is its own `<failure>` (JUnit allows
several per testcase): two findings of one policy on one object stay two. A finding blocks when
its severity reaches `fail_on`; a non-blocking one leaves the testcase passing, with the finding
in `<system-out>`; `render-failed` is an `<error>` (nothing could be checked). Findings about
files rather than rendered objects are failures of the environment's `render` testcase, or of
the `repository files` testcase of the `repository` suite (always present).
Times: each suite's is the environment's stage time; a testcase gets an even share of its
stage's time over that stage's testcases (the stages check all objects in one pass).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

from validator.model import Finding, RenderedEnvironment, Severity
from validator.outcome import ValidationReport
from validator.report.describe import message_with_context, resource_label, where

_REPOSITORY_SUITE = "repository"
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def write_junit(report: ValidationReport, stream: TextIO, color: bool = False) -> None:
    stream.write(junit_xml(report))


def junit_xml(report: ValidationReport, rule_ids: Iterable[str] = ()) -> str:
    root = ET.Element("testsuites", name="gitops-validator")
    # A report that does not say what ran (built by hand, read from older JSON): the rules
    # that fired anywhere stand in for the checks.
    fired = sorted({*rule_ids, *(f.rule_id for f in report.findings if f.resource)})
    by_env: dict[str | None, list[Finding]] = {}  # one pass, not one per environment
    for finding in report.findings:
        by_env.setdefault(finding.environment, []).append(finding)
    for env in report.environments:
        findings = by_env.get(env.name, [])
        checks = report.checks.get(env.name) or tuple(fired) or ("validated",)
        cases = _environment_cases(env, findings, checks)
        _suite(root, env.name, cases, report, report.timings.get(env.name, {}))
    names = {env.name for env in report.environments}
    orphans = [f for f in report.findings if f.environment not in names]
    files_case = Case(_REPOSITORY_SUITE, "repository files", orphans)
    _suite(root, _REPOSITORY_SUITE, [files_case], report, {})
    _totals(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


@dataclass(frozen=True, slots=True)
class Case:
    classname: str
    name: str
    findings: list[Finding]
    stage: str = ""  # whose time the testcase shares


# Tool-owned rule ids by the check (stage) that reports them; a policy is its own check.
_STAGE_OF_RULE = {"schema": "schema", "secret": "secrets", "sops": "secrets"}


def _check_of(finding: Finding, checks: Sequence[str]) -> str:
    if finding.rule_id in checks:
        return finding.rule_id
    policy = finding.rule_id.split("/")[0]  # "<policy>/<rule>": the policy is the check
    if policy in checks:
        return policy
    prefix = finding.rule_id.split("-")[0]
    stage = _STAGE_OF_RULE.get(prefix, finding.category.value)
    return stage if stage in checks else finding.rule_id


def _environment_cases(
    env: RenderedEnvironment, findings: Sequence[Finding], checks: Sequence[str]
) -> list[Case]:
    by_case: dict[tuple[str, str], list[Finding]] = {}
    loose: list[Finding] = []
    for finding in findings:
        if finding.resource:
            case_key = (finding.resource.key, _check_of(finding, checks))
            by_case.setdefault(case_key, []).append(finding)
        else:
            loose.append(finding)
    # The render and the checks of the environment's files: always there, failing or not.
    cases: list[Case] = [Case(env.name, "render", loose, "")]
    seen: set[str] = set()
    for resource in env.resources:
        key = resource.ref.key
        if key in seen:
            continue
        seen.add(key)
        classname = f"{env.name}.{resource_label(resource.ref)}"
        cases += [
            Case(classname, check, by_case.pop((key, check), []), _stage(check)) for check in checks
        ]
    # Findings about objects the render did not list, or of a check not in the list (should
    # not happen) are still reported.
    cases += [Case(f"{env.name}.{key}", rule, group) for (key, rule), group in by_case.items()]
    return cases


def _stage(check: str) -> str:
    return check if check in ("schema", "secrets", "secret-references") else "policy"


def _suite(
    root: ET.Element,
    name: str,
    cases: Sequence[Case],
    report: ValidationReport,
    timings: Mapping[str, float],
) -> None:
    suite = ET.SubElement(root, "testsuite", name=name)
    per_stage = Counter(case.stage for case in cases)
    for case in cases:
        share = timings.get(case.stage, 0.0) / per_stage[case.stage] if case.stage else 0.0
        element = ET.SubElement(
            suite,
            "testcase",
            classname=_xml_safe(case.classname),
            name=_xml_safe(case.name),
            time=_seconds(share),
        )
        _outcome(element, case.findings, report)
    suite.set("tests", str(len(cases)))
    for outcome in ("failure", "error"):
        failed = {id(c) for c in suite.findall("testcase") if c.find(outcome) is not None}
        suite.set(outcome + "s", str(len(failed)))
    suite.set("skipped", "0")
    suite.set("time", _seconds(sum(timings.values())))


def _seconds(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def _outcome(case: ET.Element, findings: Sequence[Finding], report: ValidationReport) -> None:
    if not findings:
        return
    first = findings[0]
    if first.location:  # non-standard, but read by several reporters
        case.set("file", report.checkout_prefix + first.location.file)
        case.set("line", str(first.location.line))
    quiet = [f for f in findings if not _blocks(f, report)]
    if quiet:
        ET.SubElement(case, "system-out").text = _xml_safe("\n".join(_describe(f) for f in quiet))
    for finding in findings:
        if not _blocks(finding, report):
            continue
        outcome = "error" if finding.rule_id == "render-failed" else "failure"
        element = ET.SubElement(
            case, outcome, message=_xml_safe(finding.message), type=finding.severity.value
        )
        element.text = _xml_safe(_describe(finding))


def _describe(finding: Finding) -> str:
    text = f"[{finding.severity.value}] {message_with_context(finding)}"
    return text + (f"\n  at {where(finding)}" if where(finding) else "")


def _blocks(finding: Finding, report: ValidationReport) -> bool:
    """The exit code's rule: severity reaches fail_on (and, with --new-only, the finding is new)."""
    if report.fail_on == "never" or (report.new_only and not report.is_new(finding)):
        return False
    return finding.severity.rank >= Severity(report.fail_on).rank


def _totals(root: ET.Element) -> None:
    for total in ("tests", "failures", "errors", "skipped"):
        root.set(total, str(sum(int(s.get(total, "0")) for s in root.findall("testsuite"))))
    root.set("time", _seconds(sum(float(s.get("time", "0")) for s in root.findall("testsuite"))))
