"""What each rule id means, for formats that describe rules (SARIF, compliance reports).

The tool owns the ids of DESIGN §3.2; every other id is a policy's `metadata.name`, described
by the policy itself when the report carries its description, else generically.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RuleText:
    short: str
    help: str


_TOOL_RULES: dict[str, RuleText] = {
    "render-failed": RuleText(
        "An environment could not be rendered",
        "Kustomize or Helm failed to render the environment, so nothing in it was validated. "
        "Run `gitops-validator render --env NAME` and fix the reported file.",
    ),
    "config-invalid": RuleText(
        "gitops-validator.yaml is invalid",
        "The configuration file does not match its schema. Fix the named key.",
    ),
    "yaml-invalid": RuleText(
        "A YAML file cannot be parsed",
        "The file is not valid YAML (or is refused as hostile: too large, alias bomb, "
        "not UTF-8). Fix the syntax at the reported line.",
    ),
    "yaml-duplicate-key": RuleText(
        "A YAML mapping repeats a key",
        "Duplicate keys are silently resolved differently by different parsers. "
        "Keep exactly one occurrence of the key.",
    ),
    "schema-invalid": RuleText(
        "An object does not match its Kubernetes schema",
        "The object would be rejected by the API server of the environment's Kubernetes "
        "version (or by its CRD). Fix the field named by the finding's path.",
    ),
    "schema-unknown-kind": RuleText(
        "No schema is known for an object's kind",
        "Neither the built-in Kubernetes schemas nor a CRD in the repository define this "
        "apiVersion/kind. Add the CRD to the schema paths or fix the apiVersion.",
    ),
    "schema-deprecated-api": RuleText(
        "An object uses a deprecated or removed API version",
        "Move the object to the API version the environment's Kubernetes release serves.",
    ),
    "secret-plaintext": RuleText(
        "A Secret holds a plaintext value",
        "Secret values must be SOPS-encrypted or referenced from Vault, never committed in "
        "plaintext. Encrypt the file with `sops` or replace the value by a reference.",
    ),
    "secret-leak": RuleText(
        "A credential-like value appears outside a Secret",
        "A value that looks like a credential (token, key, password) is committed in a "
        "non-Secret object or file. Move it into an encrypted Secret and rotate it.",
    ),
    "secret-file-forbidden": RuleText(
        "A file that must never be committed is in the repository",
        "Private keys, kubeconfigs and similar files must not be in Git. Remove the file "
        "from the repository history and rotate what it contained.",
    ),
    "sops-invalid-metadata": RuleText(
        "A SOPS file has malformed metadata",
        "The `sops` block is missing fields or is inconsistent, so the file cannot be "
        "decrypted at apply time. Re-encrypt it with `sops`.",
    ),
    "sops-unencrypted-value": RuleText(
        "A SOPS file contains a value that is not encrypted",
        "A value that the creation rule requires to be encrypted is in plaintext. "
        "Re-encrypt the file with `sops`.",
    ),
    "sops-no-creation-rule": RuleText(
        "No .sops.yaml creation rule matches a SOPS file",
        "Add a creation rule for the file's path so that re-encryption uses the right keys.",
    ),
    "sops-recipients-mismatch": RuleText(
        "A SOPS file is encrypted for other recipients than its creation rule",
        "Run `sops updatekeys` so the file's recipients match .sops.yaml.",
    ),
    "sops-key-provider-denied": RuleText(
        "A SOPS file uses a key provider that is not allowed",
        "Only the key providers in `secrets.allowedKeyProviders` may be used. Re-encrypt "
        "the file with an allowed key.",
    ),
    "secret-ref-invalid": RuleText(
        "A secret reference is malformed",
        "The reference (ref+vault://, ref+sops://, <path:…>, ExternalSecret) cannot be "
        "resolved at apply time as written. Fix its syntax.",
    ),
    "secret-ref-scheme-denied": RuleText(
        "A secret reference uses a scheme that is not allowed",
        "Only the schemes in `secrets.allowedReferenceSchemes` may be used.",
    ),
    "exception-expired": RuleText(
        "A policy exception has expired",
        "Fix the resource so the policy passes, or renew the exception with a new expiry "
        "date and a reason its owner agrees to.",
    ),
    "exception-unused": RuleText(
        "A policy exception matches nothing",
        "Remove the exception: it no longer covers any finding, and stale exceptions hide "
        "future violations.",
    ),
}


def rule_text(rule_id: str) -> RuleText:
    """The description of a tool rule; a policy without a description of its own gets a
    generic one (never the text of one of its findings, which describes one object)."""
    known = _TOOL_RULES.get(rule_id)
    if known:
        return known
    help_text = (
        f"The policy `{rule_id}` rejected the object. "
        f"See `gitops-validator policy explain {rule_id}` for what it checks, fix the object, "
        "or add an owned, expiring exception."
    )
    return RuleText(f"Policy {rule_id}", help_text)


# Where a person reads more about a tool-owned rule's subject (absolute, as SARIF requires).
_RULE_PAGES = {
    "schema": "https://kubernetes.io/docs/reference/kubernetes-api/",
    "sops": "https://getsops.io/docs/",
    "secret": "https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
    "render": "https://kubectl.docs.kubernetes.io/references/kustomize/",
    "yaml": "https://yaml.org/spec/1.2.2/",
}


def rule_help_uri(rule_id: str) -> str | None:
    return _RULE_PAGES.get(rule_id.split("-")[0])


# Tool-owned checks that run on every rendered resource: compliance controls even when clean.
RESOURCE_CONTROLS: dict[str, str] = {
    "schema-invalid": "schema",
    "schema-unknown-kind": "schema",
    "schema-deprecated-api": "schema",
    "secret-plaintext": "secrets",
    "secret-leak": "secrets",
    "secret-ref-invalid": "secrets",
    "secret-ref-scheme-denied": "secrets",
}
