"""The findings cache: an untouched repository's findings are replayed, exactly; any edit to
what the checks read (not only to what an environment renders from) checks again; an edited
entry is never trusted."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from support import RunCli, deployment, three_environments

HIT = "findings cache hit"

DENY_REPLICAS = """apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: at-least-two-replicas}
spec:
  matchConstraints:
    resourceRules:
      - apiGroups: [apps]
        apiVersions: [v1]
        operations: [CREATE, UPDATE]
        resources: [deployments]
  validations:
    - expression: object.spec.replicas >= 2
      message: run at least two replicas
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: at-least-two-replicas}
spec: {policyName: at-least-two-replicas, validationActions: [Deny]}
"""

PRIVILEGED = deployment("agent", image="agent:1.0").replace(
    "          image: agent:1.0\n",
    "          image: agent:1.0\n          securityContext: {privileged: true}\n",
)

EXCEPTIONS = """exceptions:
  - policy: disallow-privileged-containers
    environments: [prod]
    resources: [{kind: Deployment, name: agent}]
    reason: the node agent needs the host until v2
    owner: team-platform
    expires: "2099-12-31"
"""

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]


def _validate(run_cli: RunCli, repo: Path, report: Path) -> tuple[dict[str, object], str]:
    result = run_cli(
        "-v", "--repo", str(repo), "validate", "--format", "json", "--output", str(report)
    )
    assert result.code in (0, 1), result.stderr
    return json.loads(report.read_text()), result.stderr


def _environment_entries(cache_dir: Path) -> list[Path]:
    """The findings cache's entries, one per environment (not the file digests it keeps)."""
    found = (cache_dir / "findings").rglob("*.json")
    return sorted(p for p in found if not p.name.endswith(".digests.json"))


def _rules(report: dict[str, object]) -> set[str]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return {finding["ruleId"] for finding in findings}


def test_an_untouched_repository_replays_the_same_report(
    make_repo: MakeRepo, run_cli: RunCli, tmp_path: Path
) -> None:
    files = three_environments()
    files["overlays/base/deployment.yaml"] = PRIVILEGED
    files["gitops-validator.yaml"] += "policies: {builtin: all}\n"
    repo = make_repo(files)
    first, checked = _validate(run_cli, repo, tmp_path / "first.json")
    second, replayed = _validate(run_cli, repo, tmp_path / "second.json")
    assert HIT not in checked
    assert replayed.count(HIT) == 3  # dev, staging and prod
    assert "disallow-privileged-containers" in _rules(first)
    assert second == first


def test_a_new_policy_file_checks_again(
    make_repo: MakeRepo, run_cli: RunCli, tmp_path: Path
) -> None:
    files = three_environments()
    files["gitops-validator.yaml"] += "policies:\n  paths: [policies/]\n"
    files["policies/README.md"] = "team policies\n"
    repo = make_repo(files)
    before, _ = _validate(run_cli, repo, tmp_path / "before.json")
    assert "at-least-two-replicas" not in _rules(before)
    (repo / "policies" / "replicas.yaml").write_text(DENY_REPLICAS)  # no render reads it
    after, stderr = _validate(run_cli, repo, tmp_path / "after.json")
    assert HIT not in stderr
    assert "at-least-two-replicas" in _rules(after)


def test_an_edit_outside_every_environment_checks_again(
    make_repo: MakeRepo, run_cli: RunCli, tmp_path: Path, cache_dir: Path
) -> None:
    repo = make_repo(three_environments())
    _validate(run_cli, repo, tmp_path / "first.json")
    (repo / "notes.txt").write_text(
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
    )
    _, stderr = _validate(run_cli, repo, tmp_path / "second.json")
    assert HIT not in stderr
    # One entry per environment, overwritten: the cache does not grow with every edit.
    assert len(_environment_entries(cache_dir)) == 3


def test_exceptions_used_by_a_replayed_environment_are_not_unused(
    make_repo: MakeRepo, run_cli: RunCli, tmp_path: Path
) -> None:
    repo = make_repo(
        {
            "prod/kustomization.yaml": "namespace: platform\nresources: [agent.yaml]\n",
            "prod/agent.yaml": PRIVILEGED,
            "exceptions.yaml": EXCEPTIONS,
            "gitops-validator.yaml": (
                "environments:\n  prod: {path: prod}\npolicies: {exceptions: exceptions.yaml}\n"
            ),
        }
    )
    first, _ = _validate(run_cli, repo, tmp_path / "first.json")
    second, stderr = _validate(run_cli, repo, tmp_path / "second.json")
    assert HIT in stderr
    for report in (first, second):
        rules = _rules(report)
        assert "disallow-privileged-containers" not in rules
        assert "exception-unused" not in rules
    assert second == first


def test_an_edited_entry_is_a_logged_miss_and_never_hides_findings(
    demo_repo: Path, run_cli: RunCli, tmp_path: Path, cache_dir: Path
) -> None:
    first, _ = _validate(run_cli, demo_repo, tmp_path / "first.json")
    entries = _environment_entries(cache_dir)
    assert entries
    for entry in entries:  # an attacker empties every environment's findings
        header, _, _ = entry.read_bytes().partition(b"\n")
        entry.write_bytes(header + b'\n{"findings": [], "memos": {}}')
    second, stderr = _validate(run_cli, demo_repo, tmp_path / "second.json")
    assert "failed its integrity check" in stderr
    assert HIT not in stderr
    assert second == first


def test_new_modification_times_and_a_report_in_the_repository_still_replay(
    make_repo: MakeRepo, run_cli: RunCli
) -> None:
    """A CI checkout of the same commit has new mtimes, and a report written into the
    repository by the last run is the same report this time: neither is a change."""
    repo = make_repo(three_environments())
    report = repo / "report.json"
    _validate(run_cli, repo, report)  # the report is a new file of the repository
    first, _ = _validate(run_cli, repo, report)
    for path in repo.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    second, stderr = _validate(run_cli, repo, report)
    assert stderr.count(HIT) == 3
    assert second == first
