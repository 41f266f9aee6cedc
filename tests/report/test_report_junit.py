"""JUnit XML: a suite per environment, a case per rule and resource, passes included."""

from __future__ import annotations

import dataclasses
import io
import xml.etree.ElementTree as ET

from report_helpers import environment, privileged, sample_report

from validator.model import Category, Finding, Severity
from validator.outcome import ValidationReport
from validator.report import WRITERS
from validator.report.junit_writer import junit_xml


def parsed(report: ValidationReport) -> ET.Element:
    stream = io.StringIO()
    WRITERS["junit"](report, stream, False)
    return ET.fromstring(stream.getvalue().encode())


def cases(root: ET.Element, suite: str) -> dict[tuple[str, str], ET.Element]:
    found = root.find(f"testsuite[@name='{suite}']")
    assert found is not None
    return {(c.get("classname", ""), c.get("name", "")): c for c in found.iter("testcase")}


def test_suites_per_environment_and_repository_files() -> None:
    root = parsed(sample_report())
    assert [s.get("name") for s in root.iter("testsuite")] == ["dev", "prod", "repository"]


def test_every_resource_has_a_case_per_rule_with_failures_and_passes() -> None:
    root = parsed(sample_report())
    prod = cases(root, "prod")
    rules = {"disallow-latest-tag", "disallow-privileged-containers", "secret-plaintext"}
    resources = {"Deployment shop/web", "Deployment shop/api", "Secret shop/db"}
    expected = {(f"prod.{r}", rule) for r in resources for rule in rules}
    assert set(prod) == expected | {("prod", "render")}
    failing = prod[("prod.Deployment shop/web", "disallow-privileged-containers")]
    failure = failing.find("failure")
    assert failure is not None
    assert failure.get("type") == "error"
    assert "Privileged mode is disallowed" in (failure.text or "")
    assert failing.get("file") == "overlays/prod/patch-web.yaml"
    assert failing.get("line") == "14"
    passing = prod[("prod.Secret shop/db", "disallow-privileged-containers")]
    assert list(passing) == []


def test_warnings_below_fail_on_pass_with_output_and_block_when_they_reach_it() -> None:
    key = ("prod.Deployment shop/api", "disallow-latest-tag")
    lenient = cases(parsed(sample_report("error")), "prod")[key]
    assert lenient.find("failure") is None
    assert "latest" in (lenient.findtext("system-out") or "")
    strict = cases(parsed(sample_report("warning")), "prod")[key]
    assert strict.find("failure") is not None


def test_counts_add_up() -> None:
    root = parsed(sample_report())
    suites = list(root.iter("testsuite"))
    assert root.get("tests") == str(sum(int(s.get("tests", "0")) for s in suites))
    assert root.get("failures") == "2"
    prod = root.find("testsuite[@name='prod']")
    assert prod is not None
    assert prod.get("failures") == "2"
    assert prod.get("tests") == "10"  # 3 objects x 3 rules, and the render


def test_render_failure_is_an_error_and_clean_resources_still_appear() -> None:
    failed = Finding("render-failed", Category.RENDER, Severity.ERROR, "kustomize: no such file")
    failed = dataclasses.replace(failed, environment="dev")
    clean = environment("prod", ("Deployment", "web"))
    root = ET.fromstring(junit_xml(ValidationReport((environment("dev"), clean), (failed,))))
    dev = cases(root, "dev")
    assert dev[("dev", "render")].find("error") is not None
    assert set(cases(root, "prod")) == {
        ("prod", "render"),
        ("prod.Deployment shop/web", "validated"),
    }


def test_known_rule_ids_add_passing_cases_and_control_characters_are_dropped() -> None:
    odd = dataclasses.replace(privileged("prod"), message="bad\x00byte\x1b")
    xml = junit_xml(ValidationReport((environment("prod", ("Deployment", "web")),), (odd,)), ["x"])
    root = ET.fromstring(xml)
    assert ("prod.Deployment shop/web", "x") in cases(root, "prod")
    assert "\x00" not in xml


def _with_checks(report: ValidationReport, findings: tuple[Finding, ...]) -> ValidationReport:
    checks = ("schema", "secrets", "disallow-latest-tag", "disallow-privileged-containers")
    return dataclasses.replace(
        report,
        findings=findings,
        checks={env.name: checks for env in report.environments},
        timings={"prod": {"schema": 0.3, "secrets": 0.2, "policy": 0.8}},
    )


def test_the_number_of_testcases_does_not_depend_on_the_findings() -> None:
    report = sample_report()
    clean = parsed(_with_checks(report, ()))
    failing = parsed(_with_checks(report, report.findings))
    assert clean.get("tests") == failing.get("tests")
    assert int(failing.get("failures", "0")) > 0 == int(clean.get("failures", "0"))
    prod = cases(failing, "prod")
    # secret-plaintext is the secrets check's; the schema check of every object passes.
    assert prod[("prod.Secret shop/db", "secrets")].find("failure") is not None
    assert prod[("prod.Secret shop/db", "schema")].find("failure") is None


def test_two_findings_of_one_policy_on_one_object_are_two_failures() -> None:
    first = privileged("prod")
    second = dataclasses.replace(
        first, path="/spec/template/spec/containers/1/securityContext/privileged"
    )
    root = parsed(_with_checks(sample_report(), (first, second)))
    case = cases(root, "prod")[("prod.Deployment shop/web", "disallow-privileged-containers")]
    failures = case.findall("failure")
    assert len(failures) == 2
    assert {"containers/0" in (f.text or "") for f in failures} == {True, False}
    suite = root.find("testsuite[@name='prod']")
    assert suite is not None and suite.get("failures") == "1"


def test_times_are_the_stages_seconds() -> None:
    root = parsed(_with_checks(sample_report(), ()))
    suite = root.find("testsuite[@name='prod']")
    assert suite is not None
    assert float(suite.get("time", "0")) == 1.3
    times = {
        (c.get("classname"), c.get("name")): float(c.get("time", "0"))
        for c in suite.iter("testcase")
    }
    assert abs(sum(times.values()) - 1.3) < 1e-4
    assert all(t > 0 for (_, name), t in times.items() if name != "render")


def test_a_rule_of_a_policy_is_reported_under_the_policy_check() -> None:
    finding = dataclasses.replace(
        privileged("prod"), rule_id="disallow-privileged-containers/autogen-check"
    )
    root = parsed(_with_checks(sample_report(), (finding,)))
    case = cases(root, "prod")[("prod.Deployment shop/web", "disallow-privileged-containers")]
    assert case.find("failure") is not None
    assert root.get("tests") == parsed(_with_checks(sample_report(), ())).get("tests")
