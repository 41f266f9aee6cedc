"""JUnit XML: a testsuite per environment, a testcase per rule and resource, passes included.

Which rules count as "checked" for a resource: every rule id that reported a finding about some
resource anywhere in this run, plus the `rule_ids` a caller knows were evaluated (e.g. the loaded
policies), so every resource appears; when no rule is known at all, each resource gets one
passing `validated` testcase. A finding blocks (a `<failure>`) when its severity reaches
`fail_on`; a non-blocking one leaves the testcase passing with the finding in `<system-out>`;
`render-failed` is an `<error>` (nothing could be checked). Findings about files rather than
rendered objects (SOPS files, the configuration) are testcases of their own, named after rule
and file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import TextIO

from validator.model import Finding, RenderedEnvironment, Severity, ValidationReport
from validator.report.describe import message_with_context, resource_label, where

_REPOSITORY_SUITE = "repository"
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def write_junit(report: ValidationReport, stream: TextIO, color: bool = False) -> None:
    stream.write(junit_xml(report))


def junit_xml(report: ValidationReport, rule_ids: Iterable[str] = ()) -> str:
    checked = sorted({*rule_ids, *(f.rule_id for f in report.findings if f.resource)})
    root = ET.Element("testsuites", name="gitops-validator")
    for env in report.environments:
        findings = [f for f in report.findings if f.environment == env.name]
        _suite(root, env.name, _environment_cases(env, findings, checked), report)
    orphans = [
        f for f in report.findings if f.environment not in {e.name for e in report.environments}
    ]
    if orphans:
        cases = [(_REPOSITORY_SUITE, _file_case_name(f), [f]) for f in orphans]
        _suite(root, _REPOSITORY_SUITE, cases, report)
    _totals(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


Case = tuple[str, str, list[Finding]]  # classname, name, findings


def _environment_cases(
    env: RenderedEnvironment, findings: Sequence[Finding], checked: Sequence[str]
) -> list[Case]:
    by_resource: dict[tuple[str, str], list[Finding]] = {}
    loose: list[Finding] = []
    for finding in findings:
        if finding.resource:
            by_resource.setdefault((finding.resource.key, finding.rule_id), []).append(finding)
        else:
            loose.append(finding)
    cases: list[Case] = []
    seen: set[str] = set()
    for resource in env.resources:
        key = resource.ref.key
        if key in seen:
            continue
        seen.add(key)
        classname = f"{env.name}.{resource_label(resource.ref)}"
        rules = checked or ["validated"]
        cases += [(classname, rule, by_resource.pop((key, rule), [])) for rule in rules]
    # Findings about objects the render did not list (should not happen) are still reported.
    cases += [(f"{env.name}.{key}", rule, group) for (key, rule), group in by_resource.items()]
    cases += [(env.name, _file_case_name(f), [f]) for f in loose]
    return cases


def _file_case_name(finding: Finding) -> str:
    return f"{finding.rule_id} {finding.location.file}" if finding.location else finding.rule_id


def _suite(root: ET.Element, name: str, cases: Sequence[Case], report: ValidationReport) -> None:
    suite = ET.SubElement(root, "testsuite", name=name)
    for classname, case_name, findings in cases:
        case = ET.SubElement(
            suite, "testcase", classname=_xml_safe(classname), name=_xml_safe(case_name), time="0"
        )
        _outcome(case, findings, report)
    suite.set("tests", str(len(cases)))
    for outcome in ("failure", "error"):
        suite.set(outcome + "s", str(len(suite.findall(f"testcase/{outcome}"))))
    suite.set("skipped", "0")
    suite.set("time", "0")


def _outcome(case: ET.Element, findings: Sequence[Finding], report: ValidationReport) -> None:
    if not findings:
        return
    first = findings[0]
    if first.location:  # non-standard, but read by several reporters
        case.set("file", first.location.file)
        case.set("line", str(first.location.line))
    text = "\n".join(
        f"[{f.severity.value}] {message_with_context(f)}"
        + (f"\n  at {where(f)}" if where(f) else "")
        for f in findings
    )
    blocking = [f for f in findings if _blocks(f, report)]
    if not blocking:
        ET.SubElement(case, "system-out").text = _xml_safe(text)
        return
    outcome = "error" if any(f.rule_id == "render-failed" for f in blocking) else "failure"
    worst = max(blocking, key=lambda f: f.severity.rank)
    element = ET.SubElement(
        case, outcome, message=_xml_safe(worst.message), type=worst.severity.value
    )
    element.text = _xml_safe(text)


def _blocks(finding: Finding, report: ValidationReport) -> bool:
    """The exit code's rule: severity reaches fail_on (and, with --new-only, the finding is new)."""
    if report.fail_on == "never" or (report.new_only and not report.is_new(finding)):
        return False
    return finding.severity.rank >= Severity(report.fail_on).rank


def _totals(root: ET.Element) -> None:
    for total in ("tests", "failures", "errors", "skipped"):
        root.set(total, str(sum(int(s.get(total, "0")) for s in root.findall("testsuite"))))
    root.set("time", "0")
