"""Per-file caches of the checks: source files that passed the YAML checks and the repository
secrets scan's results are remembered by content digest. An edit is checked again, and an entry
nobody on this machine wrote lets no hostile file through and hides no secret."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path

from support import RunCli, deployment, three_environments

from validator import __version__, integrity
from validator.render.sources import MAX_SOURCE_DEPTH

MakeRepo = Callable[[Mapping[str, str | bytes]], Path]


def _findings(run_cli: RunCli, repo: Path) -> list[dict[str, object]]:
    result = run_cli("--repo", str(repo), "validate", "--format", "json")
    assert result.code in (0, 1), result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert isinstance(findings, list)
    return findings


def test_an_edited_source_file_is_checked_again(make_repo: MakeRepo, run_cli: RunCli) -> None:
    repo = make_repo(three_environments())
    assert not [f for f in _findings(run_cli, repo) if f["ruleId"].startswith("yaml-")]
    source = repo / "overlays" / "base" / "deployment.yaml"
    source.write_text(
        deployment("web").replace("  replicas: 1\n", "  replicas: 1\n  replicas: 2\n")
    )
    rules = {f["ruleId"] for f in _findings(run_cli, repo)}
    assert "yaml-duplicate-key" in rules


def test_a_forged_entry_lets_no_hostile_file_through(
    make_repo: MakeRepo, run_cli: RunCli, cache_dir: Path, tmp_path: Path
) -> None:
    deep = "a:\n" + "".join("  " * i + "- b:\n" for i in range(1, MAX_SOURCE_DEPTH + 5))
    deep += "  " * (MAX_SOURCE_DEPTH + 5) + "c: 1\n"
    files = three_environments()
    files["overlays/base/deep.yaml"] = deep
    files["overlays/base/kustomization.yaml"] = "resources:\n  - deployment.yaml\n  - deep.yaml\n"
    repo = make_repo(files)
    assert any("nested deeper" in str(f["message"]) for f in _findings(run_cli, repo))
    # An entry saying "passed" for this content, sealed with another cache's key.
    elsewhere = tmp_path / "elsewhere"
    foreign_key = integrity.cache_key_for(elsewhere)
    assert foreign_key is not None
    digest = hashlib.sha256(deep.encode()).hexdigest()
    tag = f"source-passed/{__version__}/{MAX_SOURCE_DEPTH}/{digest}".encode()
    payload = b"true"
    header = json.dumps({"format": 3, "mac": integrity.digest(foreign_key, tag, payload)})
    entry = cache_dir / "sources" / digest[:2] / f"{digest}.json"
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_bytes(header.encode() + b"\n" + payload)
    findings = _findings(run_cli, repo)
    assert any("nested deeper" in str(f["message"]) for f in findings)
    assert any(f["ruleId"] == "render-failed" for f in findings)


def _forge(entry: Path, tag: bytes, payload: bytes, tmp_path: Path) -> None:
    """Seal `payload` with another cache's key, as a CI cache restored from elsewhere would."""
    foreign_key = integrity.cache_key_for(tmp_path / "elsewhere")
    assert foreign_key is not None
    header = json.dumps({"format": 3, "mac": integrity.digest(foreign_key, tag, payload)})
    entry.write_bytes(header.encode() + b"\n" + payload)


def test_a_forged_secrets_scan_entry_hides_no_secret(
    make_repo: MakeRepo, run_cli: RunCli, cache_dir: Path, tmp_path: Path
) -> None:
    files = three_environments()
    files["notes/deploy.txt"] = "token ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" + "\n"
    repo = make_repo(files)
    leak = [
        f
        for f in _findings(run_cli, repo)
        if f["location"] and f["location"]["file"] == "notes/deploy.txt"
    ]
    assert leak, "the repository scan finds the token"
    entries = sorted((cache_dir / "secrets-scan").rglob("*.json"))
    assert entries
    for entry in entries:  # every file now "has no findings"
        _forge(entry, entry.stem.encode(), b"[]", tmp_path)
    again = [
        f
        for f in _findings(run_cli, repo)
        if f["location"] and f["location"]["file"] == "notes/deploy.txt"
    ]
    assert [f["ruleId"] for f in again] == [f["ruleId"] for f in leak]
