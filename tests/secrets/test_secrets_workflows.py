"""Secrets rules that fit how teams work: each false positive of issue 11 gone, and the true
positives (a committed private key, a plaintext Secret value, a real leak) kept."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from secrets_support import make_settings, write

from validator.model import Finding
from validator.secrets import scan_repository
from validator.settings import DEFAULT_REFERENCE_SCHEMES

JWT = "ey" + "JhbGciOiJIUzI1NiJ9.ey" + "JzdWIiOiJhcHAifQ.c2lnbmF0dXJlLXZhbHVl"
PEM = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----"


def ids(findings: list[Finding]) -> list[tuple[str, str]]:
    return sorted((f.rule_id, f.location.file if f.location else "") for f in findings)


def test_secrets_exclude_takes_gitignore_patterns(tmp_path: Path) -> None:
    write(tmp_path, "vendor/lib/test/fixture.yaml", f"token: {JWT}\n")
    write(tmp_path, "apps/web/config.yaml", f"token: {JWT}\n")
    write(tmp_path, "apps/web/keep.yaml", f"token: {JWT}\n")
    settings = make_settings(tmp_path)
    settings = dataclasses.replace(
        settings,
        secrets=dataclasses.replace(
            settings.secrets, exclude=("vendor/", "apps/**/*.yaml", "!apps/web/keep.yaml")
        ),
    )
    assert ids(scan_repository(settings)) == [("secret-leak", "apps/web/keep.yaml")]


KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
  - name: prod
    cluster: {server: https://prod.example.com}
users:
  - name: admin
    user: {token: not-a-real-token-but-long-enough}
contexts: []
"""


def _sops_rules(root: Path, recipient: str, regex: str = ".*") -> None:
    write(root, ".sops.yaml", f"creation_rules:\n  - path_regex: '{regex}'\n    age: {recipient}\n")


@pytest.mark.parametrize(
    ("name", "text", "extra"),
    [
        ("clusters/prod/kubeconfig.yaml", KUBECONFIG, ()),
        ("clusters/prod/kubeconfig", KUBECONFIG, ("--input-type", "yaml", "--output-type", "yaml")),
        ("apps/web/app.enc.env", "DB_PASSWORD=hunter2hunter2\nAPI_TOKEN=abcdef\n", ()),
        ("apps/web/.env", "DB_PASSWORD=hunter2hunter2\n", ()),
        ("apps/web/config.json", '{"password": "hunter2", "nested": {"token": "t"}}', ()),
        ("apps/web/settings.ini", "[db]\npassword = hunter2\n", ()),
        ("apps/web/token.bin", "opaque-bytes\n", ()),
        ("apps/web/ca.key.enc", "opaque-bytes\n", ()),
    ],
)
def test_files_sops_wrote_in_every_format_are_accepted(
    tmp_path: Path, encrypt, dev_key, name: str, text: str, extra: tuple[str, ...]
) -> None:
    _sops_rules(tmp_path, dev_key.recipient)
    write(tmp_path, name, encrypt(text, name, extra=extra))
    assert scan_repository(make_settings(tmp_path)) == []


def test_sops_regular_expressions_have_go_semantics(tmp_path: Path, encrypt, dev_key) -> None:
    # Scoped flags are valid in Go (and RE2) but not in Python's re.
    regex = "((?i)(pass|token))"
    manifest = "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n  Password: x\n"
    encrypted = encrypt(manifest, "db.yaml", extra=("--encrypted-regex", regex))
    _sops_rules(tmp_path, dev_key.recipient, regex="(?i)DB\\.YAML$")
    write(tmp_path, "db.yaml", encrypted)
    assert scan_repository(make_settings(tmp_path)) == []


def test_a_file_no_creation_rule_matches_is_still_reported(
    tmp_path: Path, encrypt, dev_key
) -> None:
    _sops_rules(tmp_path, dev_key.recipient, regex="^prod/.*\\.yaml$")
    write(tmp_path, "dev/db.yaml", encrypt("password: x\n", "dev/db.yaml"))
    assert ids(scan_repository(make_settings(tmp_path))) == [
        ("sops-no-creation-rule", "dev/db.yaml")
    ]


def test_a_look_around_sops_cannot_use_is_reported(tmp_path: Path, encrypt, dev_key) -> None:
    _sops_rules(tmp_path, dev_key.recipient, regex="(?=x).*")
    write(tmp_path, "db.yaml", encrypt("password: x\n", "db.yaml"))
    findings = scan_repository(make_settings(tmp_path))
    assert ids(findings) == [("sops-no-creation-rule", ".sops.yaml")]
    assert "not a Go (RE2) regular expression" in findings[0].message


def _secret(
    data: dict[str, str], annotations: dict[str, str] | None = None, name: str = "refs"
) -> str:
    metadata = {"name": name, **({"annotations": annotations} if annotations else {})}
    return json.dumps(
        {"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "stringData": data}
    )


def _validate(run_cli, repo: Path) -> list[tuple[str, str, str]]:
    result = run_cli("validate", "--format", "json", cwd=repo)
    assert result.code in (0, 1), result.stderr
    return sorted(
        (f["ruleId"], (f["resource"] or {}).get("kind", ""), f["path"] or "")
        for f in json.loads(result.stdout)["findings"]
        if f["category"] == "secrets"
    )


def test_generated_secrets_from_sops_files_are_encrypted_and_plaintext_is_kept(
    make_repo, run_cli, encrypt, dev_key
) -> None:
    env_file = encrypt("DB_PASSWORD=hunter2hunter2\nAPI_TOKEN=abcdef123456\n", "app.enc.env")
    token_file = encrypt("opaque-token-bytes\n", "token.enc")
    repo = make_repo(
        {
            ".sops.yaml": f"creation_rules:\n  - path_regex: .*\n    age: {dev_key.recipient}\n",
            "apps/prod/app.enc.env": env_file,
            "apps/prod/token.enc": token_file,
            "apps/prod/kustomization.yaml": (
                "namespace: shop\nresources: [refs.yaml, leak.yaml]\nsecretGenerator:\n"
                "  - name: app\n    envs: [app.enc.env]\n"
                "  - name: token\n    files: [token=token.enc]\n"
                "  - name: mixed\n    envs: [app.enc.env]\n"
                "    literals: [EXTRA=Zq8xL2vN9wR4tY7uQ1]\n"
            ),
            "apps/prod/refs.yaml": _secret(
                {
                    "op": "op://prod/db/password",
                    "akv": "akv://prod-vault/db-password",
                    "aws": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
                    "ssm": "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/db",
                    "vals": "ref+vault://secret/data/db#/password",
                    "todo": "<fill-me-in>",
                }
            ),
            "apps/prod/leak.yaml": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n"
                f"data:\n  token: {JWT}\n  key: '{PEM.replace(chr(10), ' ')}'\n"
            ),
            "gitops-validator.yaml": (
                "policies: {builtin: none}\nenvironments:\n  prod: {path: apps/prod}\n"
            ),
        }
    )
    assert _validate(run_cli, repo) == [
        ("secret-leak", "ConfigMap", "/data/key"),  # a committed private key in a manifest
        ("secret-leak", "ConfigMap", "/data/token"),  # a real leak in a ConfigMap
        ("secret-plaintext", "Secret", "/data/EXTRA"),  # the literal beside SOPS inputs
    ]


def test_reference_schemes_are_allow_listable(tmp_path: Path) -> None:
    from secrets_support import make_resource

    from validator.model import RenderedEnvironment
    from validator.secrets import scan_environment

    values = {
        "op": "op://prod/db/password",
        "akv": "azurekeyvault://prod-vault/db-password",
        "aws": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
        "bank": "vault:secret/data/db#password",
    }
    secret = make_resource(json.loads(_secret(values)))
    external = make_resource(
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": {"name": "db"},
            "spec": {
                "secretStoreRef": {"name": "vault"},
                "data": [{"secretKey": "pw", "remoteRef": {"key": "db"}}],
            },
        }
    )
    env = RenderedEnvironment("prod", "1.33", (secret, external))
    assert scan_environment(env, make_settings(tmp_path, schemes=DEFAULT_REFERENCE_SCHEMES)) == []
    only_vault = scan_environment(env, make_settings(tmp_path, schemes=("vault",)))
    assert sorted((f.rule_id, f.path or "") for f in only_vault) == [
        ("secret-ref-scheme-denied", ""),
        ("secret-ref-scheme-denied", "/stringData/akv"),
        ("secret-ref-scheme-denied", "/stringData/aws"),
        ("secret-ref-scheme-denied", "/stringData/op"),
    ]


def test_a_bare_placeholder_is_avp_only_where_avp_is_used(tmp_path: Path) -> None:
    from secrets_support import make_resource

    from validator.model import RenderedEnvironment
    from validator.secrets import scan_environment

    todo = make_resource(json.loads(_secret({"password": "<fill-me-in>"})))
    settings = make_settings(tmp_path)
    assert scan_environment(RenderedEnvironment("dev", "1.33", (todo,)), settings) == []
    avp = make_resource(
        json.loads(_secret({"user": "<user>"}, {"avp.kubernetes.io/path": "secret/data/app"}))
        | {
            "metadata": {
                "name": "other",
                "annotations": {"avp.kubernetes.io/path": "secret/data/x"},
            }
        }
    )
    found = scan_environment(RenderedEnvironment("dev", "1.33", (todo, avp)), settings)
    assert [(f.rule_id, f.path) for f in found] == [("secret-ref-invalid", "/stringData/password")]


def test_leak_scan_reads_gitops_files_not_application_source(tmp_path: Path) -> None:
    write(tmp_path, "app/auth/token_test.go", f'const token = "{JWT}"\n')
    write(tmp_path, "app/vendor/lib/test/client.test.js", f"const t = '{JWT}';\n")
    write(tmp_path, "apps/web/values.yaml", f"token: {JWT}\n")
    write(tmp_path, "apps/web/app.env", f"TOKEN={JWT}\n")
    write(tmp_path, "app/deploy/keys.py", f'KEY = """{PEM}"""\n')  # keys: found anywhere
    assert ids(scan_repository(make_settings(tmp_path))) == [
        ("secret-leak", "app/deploy/keys.py"),
        ("secret-leak", "apps/web/app.env"),  # the JWT detector
        ("secret-leak", "apps/web/app.env"),  # a secret-named variable with a literal
        ("secret-leak", "apps/web/values.yaml"),
    ]


def test_ksops_generators_list_sops_files_and_are_allow_listable(tmp_path: Path, encrypt) -> None:
    generator = (
        "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: secrets\n"
        "files:\n  - ./db.enc.yaml\n  - ./plain.yaml\n  - ./gone.enc.yaml\n"
    )
    write(tmp_path, "apps/prod/secret-generator.yaml", generator)
    write(tmp_path, "apps/prod/db.enc.yaml", encrypt("password: x\n", "db.enc.yaml"))
    write(tmp_path, "apps/prod/plain.yaml", "password: not-encrypted\n")
    findings = scan_repository(make_settings(tmp_path))
    assert sorted((f.rule_id, f.location.line if f.location else 0) for f in findings) == [
        ("secret-ref-invalid", 7),  # plain.yaml: not SOPS-encrypted
        ("secret-ref-invalid", 8),  # gone.enc.yaml: does not exist
    ]
    assert "not SOPS-encrypted" in min(findings, key=lambda f: f.location.line).message
    denied = scan_repository(make_settings(tmp_path, schemes=("vault", "sops")))
    assert [(f.rule_id, f.location.file) for f in denied] == [
        ("secret-ref-scheme-denied", "apps/prod/secret-generator.yaml")
    ]
