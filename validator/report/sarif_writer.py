"""SARIF 2.1.0 for GitHub code scanning, within its documented requirements and limits.

GitHub keeps at most 25,000 results and 25,000 rules per run and rejects files over 10 MB
gzip-compressed; beyond those we drop the least severe results and say so in a tool
notification rather than have the whole upload refused.
"""

from __future__ import annotations

import dataclasses
import gzip
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from validator import __version__
from validator.model import Finding, RenderedEnvironment, Severity
from validator.outcome import RuleDoc, ValidationReport
from validator.report.describe import Occurrence, message_with_context, occurrences
from validator.report.fastjson import dumps_indented
from validator.report.markdown_writer import in_pr_mode
from validator.report.rules import rule_help_uri, rule_text

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_RESULTS = 25_000
MAX_RULES = 25_000
MAX_GZIP_BYTES = 10 * 1024 * 1024
MAX_DESCRIPTION = 1024  # shortDescription / fullDescription text
FALLBACK_URI = "gitops-validator.yaml"

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# GitHub's security-severity score (0-10) by the worst severity a rule reported.
_SECURITY_SEVERITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.0", Severity.INFO: "2.0"}


def write_sarif(report: ValidationReport, stream: TextIO, color: bool = False) -> None:
    stream.write(dumps_indented(sarif_document(report)) + "\n")


def sarif_document(
    report: ValidationReport,
    *,
    max_results: int = MAX_RESULTS,
    max_gzip_bytes: int = MAX_GZIP_BYTES,
) -> dict[str, Any]:
    # One result per defect: a base file's finding in three environments is one alert.
    ranked = sorted(occurrences(report.findings), key=lambda o: -o.finding.severity.rank)
    kept = ranked[: min(max_results, MAX_RESULTS)]
    kept = _kept_rules(kept)
    while True:
        document = _document(report, kept, dropped=len(ranked) - len(kept))
        if not kept or _gzip_size(document) <= max_gzip_bytes:
            return document
        kept = kept[: len(kept) // 2]


def _kept_rules(defects: list[Occurrence]) -> list[Occurrence]:
    """Drop findings of rules beyond the per-run rule limit (severity order is kept)."""
    seen: set[str] = set()
    kept = []
    for defect in defects:
        rule_id = defect.finding.rule_id
        if rule_id not in seen and len(seen) >= MAX_RULES:
            continue
        seen.add(rule_id)
        kept.append(defect)
    return kept


def _gzip_size(document: dict[str, Any]) -> int:
    return len(gzip.compress(dumps_indented(document).encode(), compresslevel=6))


def _document(report: ValidationReport, defects: list[Occurrence], dropped: int) -> dict[str, Any]:
    pr_mode = in_pr_mode(report)
    environments = {env.name: env for env in report.environments}  # once, not per finding
    rules = _rules((d.finding for d in defects), report.rule_docs)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "gitops-validator",
                "semanticVersion": __version__,
                "version": __version__,
                "rules": rules,
            }
        },
        "results": [
            _result(report, d, index[d.finding.rule_id], pr_mode, environments) for d in defects
        ],
        "columnKind": "unicodeCodePoints",
    }
    if dropped:
        run["invocations"] = [_truncation_note(dropped, len(defects))]
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _truncation_note(dropped: int, kept: int) -> dict[str, Any]:
    text = (
        f"{dropped} less severe findings were left out to stay within GitHub code scanning "
        f"limits ({kept} kept); run `gitops-validator validate --format json` for all of them."
    )
    return {
        "executionSuccessful": True,
        "toolExecutionNotifications": [{"level": "warning", "message": {"text": text}}],
    }


def _rules(findings: Iterable[Finding], docs: Mapping[str, RuleDoc]) -> list[dict[str, Any]]:
    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule_id, []).append(finding)
    return [_rule(rule_id, group, docs.get(rule_id)) for rule_id, group in sorted(by_rule.items())]


def _rule(rule_id: str, findings: list[Finding], doc: RuleDoc | None) -> dict[str, Any]:
    """A rule described by its own words: a policy's title and description when it has them
    (never the text of one finding), else the tool's description of its own rule."""
    text = rule_text(rule_id)
    short, full = text.short, text.help
    if doc:
        short = doc.title or short
        full = doc.description or full
    worst = max((f.severity for f in findings), key=lambda s: s.rank)
    category = findings[0].category.value
    tags = {category, "kubernetes", "gitops"}
    if category == "secrets" or (doc and doc.category == "pod-security"):
        tags.add("security")
    rule: dict[str, Any] = {
        "id": rule_id,
        "name": _pascal(rule_id)[:255],
        "shortDescription": {"text": short[:MAX_DESCRIPTION]},
        "fullDescription": {"text": full[:MAX_DESCRIPTION]},
        "help": {"text": full, "markdown": full},
        "defaultConfiguration": {"level": _LEVELS[worst]},
        # GitHub ranks alerts by this score (0-10) whatever their tags.
        "properties": {"tags": sorted(tags), "security-severity": _SECURITY_SEVERITY[worst]},
    }
    help_uri = doc.help_uri if doc else rule_help_uri(rule_id)
    if help_uri:
        rule["helpUri"] = help_uri
    return rule


def _pascal(rule_id: str) -> str:
    return "".join(part.capitalize() for part in rule_id.replace("_", "-").split("-") if part)


def _result(
    report: ValidationReport,
    defect: Occurrence,
    rule_index: int,
    pr_mode: bool,
    environments: dict[str, RenderedEnvironment],
) -> dict[str, Any]:
    finding = defect.finding
    fingerprint = defect.fingerprint
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": _LEVELS[finding.severity],
        "message": {"text": _message(defect)},
        "locations": [_location(finding, environments, report.checkout_prefix)],
        # Our fingerprint does not move with lines; GitHub reads only primaryLocationLineHash.
        "partialFingerprints": {
            "primaryLocationLineHash": fingerprint,
            "gitopsValidatorFingerprint/v1": fingerprint,
        },
        "properties": {"category": finding.category.value},
    }
    if defect.environments:
        result["properties"]["environments"] = list(defect.environments)
    if finding.environment:
        result["properties"]["environment"] = finding.environment
    if pr_mode:
        new = any(report.is_new(f) for f in defect.findings)
        result["baselineState"] = "new" if new else "unchanged"
    if finding.resource:
        result["properties"]["resource"] = finding.resource.to_json()
    if finding.path:
        result["properties"]["path"] = finding.path
    if finding.unit:
        result["properties"]["unit"] = finding.unit
    return result


def _message(defect: Occurrence) -> str:
    if len(defect.environments) <= 1:
        return message_with_context(defect.finding)
    single = dataclasses.replace(defect.finding, environment=None)
    return f"{message_with_context(single)} [environments: {', '.join(defect.environments)}]"


def _location(
    finding: Finding, environments: dict[str, RenderedEnvironment], prefix: str
) -> dict[str, Any]:
    """`prefix`: the repository root inside the checkout, so code scanning finds the file."""
    if finding.location:
        uri, line, column = finding.location.file, finding.location.line, finding.location.column
    else:
        uri, line, column = _fallback_file(finding, environments), 1, 1
    uri = prefix + uri
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": uri},
            "region": {"startLine": max(1, line), "startColumn": max(1, column)},
        }
    }


def _fallback_file(finding: Finding, environments: dict[str, RenderedEnvironment]) -> str:
    """GitHub needs a file for every result: the environment's own kustomization, else the
    configuration file (the render records inputs, not which directory is the overlay)."""
    env = environments.get(finding.environment or "")
    if env:
        own = sorted(
            f for f in env.input_files if f.split("/")[-2:] == [env.name, "kustomization.yaml"]
        )
        if own:
            return own[0]
    return FALLBACK_URI
