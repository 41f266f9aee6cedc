"""The canary cases of the resolver: each plants unique canaries and returns what to run.

CASES maps a name to (builder, the error class the run must raise or None for success).
Used by test_secrets_resolver_canary.py.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable

import yaml_rs
from canary_world import K8S, Run, World, resolve, vault_ref
from openbao_support import base_environ, free_port
from secrets_support import make_resource, make_settings, secret_body
from secrets_support import write as write_file

from validator.secrets import errors
from validator.secrets.check_refs import check_references
from validator.secrets.vault import resolve_secrets

# --- success paths -------------------------------------------------------------------------


def ok_kv2(world: World) -> Run:
    path = world.path_with(pw=world.canary("kv2"))
    value = f"ref+vault://secret/{path}#/pw <path:secret/data/{path}#pw | base64encode>"
    return vault_ref(world, value)


def ok_pinned(world: World) -> Run:
    path = world.path_with(pw=world.canary("v1"))
    world.bao.put(path, {"pw": world.canary("v2")})
    return vault_ref(world, f"ref+vault://secret/{path}?version=1#/pw")


def ok_kv1(world: World) -> Run:
    path = f"canary-{secrets.token_hex(4)}"
    world.bao.put_v1(path, {"pw": world.canary("kv1")})
    return vault_ref(world, f"ref+vault://kv1/{path}#/pw", kv_mount="kv1", kv_version=1)


def ok_approle(world: World) -> Run:
    path = world.path_with(pw=world.canary("approle"))
    approle = world.bao.client().auth.approle
    role_id = approle.read_role_id(role_name="deployer")["data"]["role_id"]
    secret_id = approle.generate_secret_id(role_name="deployer")["data"]["secret_id"]
    env = base_environ(world.home, VAULT_ROLE_ID=role_id, VAULT_SECRET_ID=secret_id)
    body = secret_body(data={"p": f"ref+vault://secret/{path}#/pw"})
    return resolve(world, body, world.vault_settings(auth={"method": "approle"}), env)


def ok_age_and_ref_sops(world: World) -> Run:
    encrypted = world.encrypt(f"k: {world.canary('file')}\n", "f.enc.yaml")
    write_file(world.root, "secrets/f.enc.yaml", encrypted)
    resources = [
        make_resource(world.sops_secret(world.canary("age"))),
        make_resource(secret_body(name="f", string_data={"f": "ref+sops://secrets/f.enc.yaml#/k"})),
    ]
    settings, env = make_settings(world.root), world.age_env()
    return lambda: resolve_secrets(resources, settings, environ=env)


def ok_transit(world: World) -> Run:
    body = world.transit_secret(world.canary("transit"))
    return resolve(world, body, world.vault_settings(), world.token_env())


def ok_check_refs(world: World) -> Run:
    path = world.path_with(pw=world.canary("checked"))
    resource = make_resource(secret_body(string_data={"p": f"ref+vault://secret/{path}#/pw"}))
    env = world.token_env(world.bao.token("metadata-only"))
    settings = world.vault_settings()
    return lambda: check_references([resource], settings, environ=env)


# --- failure paths (the exception class each must raise) ----------------------------------


def no_age_key(world: World) -> Run:
    return resolve(
        world,
        world.sops_secret(world.canary("nokey")),
        make_settings(world.root),
        world.age_env(world.prod_key),
    )


def mac_mismatch(world: World) -> Run:
    body = world.sops_secret(world.canary("mac"))
    body["metadata"]["name"] = "edited"
    return resolve(world, body, make_settings(world.root), world.age_env())


def plaintext_in_ciphertext_slot(world: World) -> Run:
    body = world.sops_secret(world.canary("moved"))
    body["stringData"]["pw"] = f"ENC[AES256_GCM,data:{world.canary('echo')},iv:x,tag:y,type:str]"
    return resolve(world, body, make_settings(world.root), world.age_env())


def swapped_ciphertext(world: World) -> Run:
    text = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n"
    text += f"  a: {world.canary('a')}\n  b: {world.canary('b')}\n"
    body = yaml_rs.loads(world.encrypt(text, "s.yaml", extra=K8S))
    data = body["stringData"]
    data["a"], data["b"] = data["b"], data["a"]
    return resolve(world, body, make_settings(world.root), world.age_env())


def vault_denied(world: World) -> Run:
    path = world.path_with(pw=world.canary("denied"))
    body = secret_body(string_data={"p": f"ref+vault://secret/{path}#/pw"})
    return resolve(world, body, world.vault_settings(), world.token_env(world.bao.token("nothing")))


def bad_token(world: World) -> Run:
    path = world.path_with(pw=world.canary("badtoken-value"))
    body = secret_body(string_data={"p": f"ref+vault://secret/{path}#/pw"})
    return resolve(world, body, world.vault_settings(), world.token_env(world.canary("token")))


def missing_key(world: World) -> Run:
    path = world.path_with(pw=world.canary("sibling"))
    return vault_ref(world, f"ref+vault://secret/{path}#/other")


def missing_path(world: World) -> Run:
    return vault_ref(world, f"ref+vault://secret/canary/none-{secrets.token_hex(4)}#/pw")


def deleted_version(world: World) -> Run:
    path = world.path_with(pw=world.canary("deleted"))
    world.bao.put(path, {"pw": world.canary("current")})
    kv = world.bao.client().secrets.kv.v2
    kv.delete_secret_versions(path=path, versions=[1], mount_point="secret")
    return vault_ref(world, f"ref+vault://secret/{path}?version=1#/pw")


def destroyed_version(world: World) -> Run:
    path = world.path_with(pw=world.canary("destroyed"))
    kv = world.bao.client().secrets.kv.v2
    kv.destroy_secret_versions(path=path, versions=[1], mount_point="secret")
    return vault_ref(world, f"<path:secret/data/{path}#pw#1>")


def vault_down(world: World) -> Run:
    closed = f"http://127.0.0.1:{free_port()}"
    body = secret_body(string_data={"p": "ref+vault://secret/app#/pw"})
    settings = world.vault_settings(address=closed)
    return resolve(world, body, settings, world.token_env(world.canary("down-token")))


def approle_wrong_secret(world: World) -> Run:
    env = base_environ(
        world.home, VAULT_ROLE_ID=world.canary("role"), VAULT_SECRET_ID=world.canary("sid")
    )
    body = secret_body(string_data={"p": "ref+vault://secret/app#/pw"})
    return resolve(world, body, world.vault_settings(auth={"method": "approle"}), env)


def denied_scheme_with_query(world: World) -> Run:
    return vault_ref(world, f"ref+exec://run?arg={world.canary('query')}#/x")


def value_looks_like_a_reference(world: World) -> Run:
    path = world.path_with(pw=f"ref+vault://secret/{world.canary('nested')}#/x")
    return vault_ref(world, f"ref+vault://secret/{path}#/pw")


def modifier_fails(world: World) -> Run:
    path = world.path_with(pw=world.canary("notbase64"))
    return vault_ref(world, f"<path:secret/data/{path}#pw | base64decode>")


def transit_denied(world: World) -> Run:
    body = world.transit_secret(world.canary("transit-denied"))
    return resolve(world, body, world.vault_settings(), world.token_env(world.bao.token("nothing")))


def ref_sops_missing_key(world: World) -> Run:
    encrypted = world.encrypt(f"k: {world.canary('file-sibling')}\n", "g.enc.yaml")
    write_file(world.root, "secrets/g.enc.yaml", encrypted)
    body = secret_body(string_data={"p": "ref+sops://secrets/g.enc.yaml#/missing"})
    return resolve(world, body, make_settings(world.root), world.age_env())


def leftover_ciphertext(world: World) -> Run:
    data = base64.b64encode(f"ENC[{world.canary('left')}]".encode()).decode()
    return resolve(world, secret_body(data={"p": data}), make_settings(world.root), {})


def provider_denied(world: World) -> Run:
    body = world.transit_secret(world.canary("provider"))
    settings = world.vault_settings(key_providers={"hcVault": ("https://vault.corp.example",)})
    return resolve(world, body, settings, world.token_env())


def jwt_rejected(world: World) -> Run:
    env = base_environ(world.home, VAULT_JWT=world.canary("jwt"))
    body = secret_body(string_data={"p": "ref+vault://secret/app#/pw"})
    return resolve(world, body, world.vault_settings(auth={"method": "jwt", "role": "ci"}), env)


def missing_credentials(world: World) -> Run:
    env = base_environ(world.home, VAULT_ROLE_ID=world.canary("lonely-role"))
    body = secret_body(string_data={"p": "ref+vault://secret/app#/pw"})
    return resolve(world, body, world.vault_settings(auth={"method": "approle"}), env)


def kv1_version_pin(world: World) -> Run:
    path = f"canary-{secrets.token_hex(4)}"
    world.bao.put_v1(path, {"pw": world.canary("kv1-pinned")})
    return vault_ref(world, f"ref+vault://kv1/{path}?version=1#/pw", kv_mount="kv1", kv_version=1)


CASES: dict[str, tuple[Callable[[World], Run], type[BaseException] | None]] = {
    "kv2": (ok_kv2, None),
    "pinned": (ok_pinned, None),
    "kv1": (ok_kv1, None),
    "approle": (ok_approle, None),
    "age+ref_sops": (ok_age_and_ref_sops, None),
    "transit": (ok_transit, None),
    "check_refs": (ok_check_refs, None),
    "no_age_key": (no_age_key, errors.SopsKeyUnavailableError),
    "mac_mismatch": (mac_mismatch, errors.SopsMacMismatchError),
    "plaintext_in_ciphertext_slot": (plaintext_in_ciphertext_slot, errors.SecretResolutionError),
    "swapped_ciphertext": (swapped_ciphertext, errors.SopsCiphertextError),
    "vault_denied": (vault_denied, errors.VaultPermissionDeniedError),
    "bad_token": (bad_token, errors.VaultPermissionDeniedError),
    "missing_key": (missing_key, errors.SecretKeyNotFoundError),
    "missing_path": (missing_path, errors.SecretPathNotFoundError),
    "deleted_version": (deleted_version, errors.SecretVersionDeletedError),
    "destroyed_version": (destroyed_version, errors.SecretVersionDeletedError),
    "vault_down": (vault_down, errors.VaultUnreachableError),
    "approle_wrong_secret": (approle_wrong_secret, errors.VaultAuthenticationError),
    "denied_scheme": (denied_scheme_with_query, errors.SecretReferenceError),
    "nested_reference": (value_looks_like_a_reference, errors.UnresolvedSecretError),
    "modifier_fails": (modifier_fails, errors.SecretReferenceError),
    "transit_denied": (transit_denied, errors.SopsKeyUnavailableError),
    "ref_sops_missing_key": (ref_sops_missing_key, errors.SecretKeyNotFoundError),
    "leftover_ciphertext": (leftover_ciphertext, errors.UnresolvedSecretError),
    "provider_denied": (provider_denied, errors.SopsKeyProviderDeniedError),
    "jwt_rejected": (jwt_rejected, errors.VaultAuthenticationError),
    "missing_credentials": (missing_credentials, errors.VaultConfigurationError),
    "kv1_version_pin": (kv1_version_pin, errors.SecretResolutionError),
}
