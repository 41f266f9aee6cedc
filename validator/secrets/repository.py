"""Repository scan: SOPS files, forbidden files and leaks in the files people commit."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pathspec

from validator.model import Finding, Settings, Severity
from validator.repofiles import in_skipped_dir, repository_files
from validator.secrets.allow import DEFAULT_BASELINE, allowed_lines, load_baseline
from validator.secrets.findings import (
    DEFAULT_HASH_SALT,
    SECRET_FILE_FORBIDDEN,
    SECRET_LEAK,
    SOPS_INVALID_METADATA,
    SOPS_NO_CREATION_RULE,
    file_finding,
    hash_note,
    salted_hash,
)
from validator.secrets.forbidden import forbidden_reason, is_marked_test_key
from validator.secrets.ksops import ksops_findings
from validator.secrets.leaks import (
    find_leaks,
    is_secret_name,
    line_of,
    looks_like_secret_value,
)
from validator.secrets.scan_cache import ScanCache
from validator.secrets.sops_check import SopsContext, check_sops_file, is_binary_envelope
from validator.secrets.sops_load import detect_store, mentions_sops, store_for

MAX_FILE_BYTES = 2 * 1024 * 1024  # larger files are data, not configuration


def scan_repository(
    settings: Settings,
    files: Iterable[str] | None = None,
    *,
    hash_salt: str | None = None,
    baseline: str | None = None,
) -> list[Finding]:
    """Secrets findings for repository files (git-tracked and non-ignored ones by default).

    `files` are repository-relative paths (e.g. only the changed ones in PR mode).
    `baseline` is a repository-relative baseline file and `hash_salt` the salt of value hashes;
    each defaults to `settings.secrets` (`baseline`, `hash_salt`), then to the built-in default.
    """
    root = settings.repo_root
    context = SopsContext(
        repo_root=root,
        sops_config=settings.secrets.sops_config,
        allowed_key_providers=settings.secrets.allowed_key_providers,
        reference_schemes=settings.secrets.allowed_reference_schemes,
    )
    accepted = load_baseline(root / baseline_path(settings, baseline))
    salt = salt_for(settings, hash_salt)
    paths = sorted(set(files)) if files is not None else list_repository_files(root)
    paths = excluded_filter(settings.secrets.exclude)(paths)
    cache = ScanCache(
        settings.cache_dir if settings.use_cache else None, _cache_context(context, salt)
    )
    findings: list[Finding] = []
    for path in paths:
        findings.extend(_scan_file(root, path, context, salt, cache))
    return [finding for finding in findings if not accepted.accepts(finding)]


def _cache_context(context: SopsContext, salt: str) -> object:
    configured = context.repo_root / context.sops_config if context.sops_config else None
    config_text = (
        configured.read_text(errors="replace") if configured and configured.is_file() else ""
    )
    providers = {kind: list(keys) for kind, keys in context.allowed_key_providers.items()}
    return {
        "sopsConfig": context.sops_config,
        "configText": config_text,
        "providers": providers,
        "salt": salt,
    }


def baseline_path(settings: Settings, baseline: str | None) -> str:
    """The keyword, else `secrets.baseline` from the config, else DEFAULT_BASELINE."""
    return baseline or settings.secrets.baseline or DEFAULT_BASELINE


def salt_for(settings: Settings, hash_salt: str | None) -> str:
    """The keyword, else GITOPS_VALIDATOR_SECRETS_HASH_SALT (via settings), else the default."""
    return hash_salt or settings.secrets.hash_salt or DEFAULT_HASH_SALT


def excluded_filter(patterns: Iterable[str]) -> Callable[[Iterable[str]], list[str]]:
    """Drop the paths `secrets.exclude` names (gitignore-style patterns, `!` re-includes)."""
    spec = pathspec.GitIgnoreSpec.from_lines(list(patterns))
    return lambda paths: [path for path in paths if not spec.match_file(path)]


def list_repository_files(root: Path) -> list[str]:
    """`git ls-files` (tracked + untracked non-ignored); a plain walk outside a git checkout."""
    return repository_files(root)


def _read_text(root: Path, path: str) -> str | None:
    """Text of a regular file inside the repository; None for binaries, huge or foreign files."""
    full = root / path
    try:
        if not full.resolve().is_relative_to(root.resolve()) or not full.is_file():
            return None  # a symlink leaving the repository is not ours to read
        if full.stat().st_size > MAX_FILE_BYTES:
            return None
        data = full.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _scan_file(
    root: Path, path: str, context: SopsContext, salt: str, cache: ScanCache
) -> list[Finding]:
    if in_skipped_dir(path) or not (root / path).exists():
        return []
    text = _read_text(root, path)
    reason = forbidden_reason(path, text)
    if reason is not None and not (text and _is_sops_encrypted_copy(path, text, reason)):
        return [file_finding(SECRET_FILE_FORBIDDEN, f"{path} is {reason}; remove it", path)]
    name = posixpath.basename(path)
    if name == ".sops.yml":
        message = ".sops.yml is ignored by sops 3.10+: rename it to .sops.yaml"
        return [file_finding(SOPS_NO_CREATION_RULE, message, path, severity=Severity.WARNING)]
    if text is None or name == ".sops.yaml":
        return []
    findings = cache.findings(root, path, text, lambda: _text_findings(path, text, context, salt))
    # Not cached: whether the files a ksops generator lists exist is not in its own text.
    return findings + ksops_findings(root, path, text, context.reference_schemes)


# Application source code is not what a GitOps build reads: its test fixtures (a JWT in a Go
# test) are not deployed. A source file a generator does read reaches a rendered object, where
# the rendered-object leak check sees it.
SOURCE_CODE_SUFFIXES = frozenset(
    {
        ".go",
        ".py",
        ".js",
        ".mjs",
        ".cjs",
        ".ts",
        ".tsx",
        ".jsx",
        ".java",
        ".kt",
        ".kts",
        ".scala",
        ".rb",
        ".rs",
        ".c",
        ".h",
        ".cc",
        ".cpp",
        ".hpp",
        ".cs",
        ".php",
        ".swift",
        ".m",
        ".mm",
        ".dart",
        ".ex",
        ".exs",
        ".erl",
        ".clj",
        ".lua",
        ".pl",
        ".pm",
        ".r",
        ".jl",
        ".vue",
        ".svelte",
    }
)


def is_source_code(path: str) -> bool:
    return posixpath.splitext(path)[1].lower() in SOURCE_CODE_SUFFIXES


def _is_sops_encrypted_copy(path: str, text: str, reason: str) -> bool:
    """A kubeconfig that sops encrypted is how teams commit cluster credentials safely (it is
    checked as a SOPS file instead); decrypted copies and private keys stay forbidden."""
    return reason.startswith("a kubeconfig") and _is_sops_candidate(path, text)


def _text_findings(path: str, text: str, context: SopsContext, salt: str) -> list[Finding]:
    findings: list[Finding] = []
    if _is_sops_candidate(path, text):
        try:
            findings.extend(check_sops_file(path, text, context))
        except RecursionError:  # the YAML parser recurses per nesting level: hostile depth
            message = f"{path} nests too deeply to be checked as a SOPS file"
            findings.append(file_finding(SOPS_INVALID_METADATA, message, path))
    if not is_marked_test_key(path, text):
        leaks = _leak_findings(path, text, salt)
        if is_source_code(path):  # only private keys, which must not be committed anywhere
            leaks = [leak for leak in leaks if "private key" in leak.message]
        findings.extend(leaks)
    return findings


def _is_sops_candidate(path: str, text: str) -> bool:
    store = detect_store(path, text)
    if store == "binary":
        return '"sops"' in text and is_binary_envelope(text)
    return mentions_sops(text)


def _leak_findings(path: str, text: str, salt: str) -> list[Finding]:
    lines = text.splitlines()
    allowed = allowed_lines(lines)
    findings: list[Finding] = []
    for detection in find_leaks(text):
        line = line_of(text, detection.start)
        if line in allowed:
            continue
        note = hash_note(salted_hash(detection.secret, salt))
        findings.append(
            file_finding(SECRET_LEAK, f"possible {detection.detector} {note}", path, line)
        )
    if store_for(path) == "dotenv":
        findings.extend(_dotenv_assignments(path, lines, allowed, salt))
    return findings


def _dotenv_assignments(
    path: str, lines: list[str], allowed: frozenset[int], salt: str
) -> Iterator[Finding]:
    """Plaintext `.env` files: secret-looking names holding high-entropy literals."""
    for number, line in enumerate(lines, start=1):
        name, sep, value = line.partition("=")
        name = name.strip().removeprefix("export ").strip()
        if not sep or name.startswith("#") or number in allowed or name.startswith("sops_"):
            continue
        if is_secret_name(name) and looks_like_secret_value(value.strip().strip("\"'")):
            note = hash_note(salted_hash(value.strip().strip("\"'"), salt))
            yield file_finding(SECRET_LEAK, f"{name} holds a literal secret {note}", path, number)
