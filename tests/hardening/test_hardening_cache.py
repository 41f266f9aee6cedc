"""The render cache is verified on read with a keyed digest (issue 10, item 2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from support import RunCli

from validator import cachefile, integrity

POISON = "registry.evil.example/storefront:backdoor"


def _entries(cache_dir: Path) -> list[Path]:
    """The render cache's document entries (not the secrets scan's, findings' or locations')."""
    return sorted(
        p
        for p in cache_dir.rglob("*.json")
        if not {"secrets-scan", "findings"} & set(p.parts) and "." not in p.stem
    )


def _seal(entry: Path, payload: bytes, key: bytes | None, mac: str | None = None) -> None:
    """Write an entry in the cache's sealed format: a header line with the MAC, then the payload;
    with `key`, sealed as the cache's owner would."""
    if key is not None:
        mac = integrity.digest(key, entry.stem.encode(), payload)
    header = json.dumps({"format": cachefile.FORMAT, "mac": mac})
    entry.write_bytes(header.encode() + b"\n" + payload)


def _poison(entry: Path, key: bytes | None = None) -> None:
    """Swap every image in the entry; with `key`, re-sign it as the cache's owner would."""
    header, _, payload = entry.read_bytes().partition(b"\n")
    poisoned = payload.replace(b"ghcr.io/example/storefront", POISON.split(":")[0].encode())
    _seal(entry, poisoned, key, json.loads(header)["mac"])


def test_an_edited_cache_entry_is_a_logged_miss(
    demo_repo: Path, run_cli: RunCli, cache_dir: Path
) -> None:
    first = run_cli("render", "--env", "prod", cwd=demo_repo)
    assert first.code == 0, first.stderr
    entries = _entries(cache_dir)
    assert entries
    for entry in entries:
        _poison(entry)
    second = run_cli("render", "--env", "prod", cwd=demo_repo)
    assert second.code == 0, second.stderr
    assert "evil.example" not in second.stdout
    assert "failed its integrity check" in second.stderr
    assert second.stdout == first.stdout


def test_an_entry_copied_from_another_cache_does_not_verify(
    demo_repo: Path, run_cli: RunCli, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    env = {"GITOPS_VALIDATOR_CACHE_DIR": str(elsewhere)}
    assert run_cli("render", "--env", "prod", cwd=demo_repo, env=env).code == 0
    key = integrity.key_file(elsewhere).read_bytes()
    for entry in _entries(elsewhere):
        _poison(entry, key)  # valid for the cache it came from
    target = tmp_path / "mine"
    target.mkdir()
    for entry in _entries(elsewhere):
        destination = target / entry.relative_to(elsewhere)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(entry, destination)
    mine = {"GITOPS_VALIDATOR_CACHE_DIR": str(target)}
    result = run_cli("render", "--env", "prod", cwd=demo_repo, env=mine)
    assert result.code == 0, result.stderr
    assert "evil.example" not in result.stdout
    assert "failed its integrity check" in result.stderr


def test_the_key_file_is_private_and_outside_the_cached_directory(
    demo_repo: Path, run_cli: RunCli, cache_dir: Path
) -> None:
    assert run_cli("render", "--env", "prod", cwd=demo_repo).code == 0
    key = integrity.key_file(cache_dir)
    assert key.parent == cache_dir.parent
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(key.read_bytes()) == integrity.KEY_BYTES


def test_an_entry_of_the_wrong_shape_is_a_miss(
    demo_repo: Path, run_cli: RunCli, cache_dir: Path
) -> None:
    assert run_cli("render", "--env", "prod", cwd=demo_repo).code == 0
    key = integrity.key_file(cache_dir).read_bytes()
    for shape in ([{"origin": None}], {"not": "a list"}, [{"body": {}, "origin": "x"}], [1]):
        for entry in _entries(cache_dir):
            _seal(entry, json.dumps(shape).encode(), key)
        result = run_cli("render", "--env", "prod", cwd=demo_repo)
        assert result.code == 0, (shape, result.stderr)
        assert "wrong shape" in result.stderr
        assert "kind: Deployment" in result.stdout


def test_bundle_renders_fresh_even_when_the_cache_holds_a_valid_entry(
    demo_repo: Path, run_cli: RunCli, cache_dir: Path, tmp_path: Path
) -> None:
    assert run_cli("render", "--env", "prod", cwd=demo_repo).code == 0
    key = integrity.key_file(cache_dir).read_bytes()
    for entry in _entries(cache_dir):
        _poison(entry, key)  # as if the cache's owner wrote it
    served = run_cli("render", "--env", "prod", cwd=demo_repo)
    assert "registry.evil.example" in served.stdout  # the owner's keyed entry is served
    bundle = tmp_path / "bundle"
    result = run_cli("bundle", "--env", "prod", "--output", str(bundle), cwd=demo_repo)
    assert result.code == 0, result.stderr
    packed = "".join(p.read_text() for p in (bundle / "objects").iterdir())
    assert "evil.example" not in packed
    assert "ghcr.io/example/storefront" in packed
