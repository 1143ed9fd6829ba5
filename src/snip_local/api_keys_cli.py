"""``snip keys``: create, list and revoke API keys, against a deployed stack or the local stack alike.

A key belongs to an owner and carries scopes (``snip.domain.api_scopes``); both are recorded in the API-key
registry (``snip.data.api_keys_table``), which shorten reads. The secret is printed once, by
``create``, and kept by Snip nowhere in plain text:

* deployed (``--stack NAME`` or ``$SNIP_STACK``): API Gateway makes and holds the key; it is bound
  to the stack's usage plan (output ``UsagePlanId``) and recorded in its registry table (output
  ``ApiKeysTable``). ``revoke`` records ``revoked_at`` (warm functions refuse the key within their
  60 s cache) and disables the key in API Gateway (which then refuses it itself).
* local (the default): the key is recorded, with its secret's SHA-256, in the registry of the
  running local stack, through its DynamoDB endpoint (``--dynamodb-url``, ``$SNIP_DYNAMODB_URL``,
  ``$SNIP_DYNAMODB_PORT``, else the one the stack recorded in ``.snip/local-<port>.json``:
  ``snip_local.running``); its gateway reads the registry on every request, so a new or revoked
  key counts at once.

Both print the same lines (or, with ``--json``, the same JSON), so scripts need not care which
stack they manage.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from snip.data.api_keys_table import ApiKeyRecord, ApiKeyRegistry, local_key_id, secret_sha256
from snip.domain import api_scopes, clock
from snip.domain.errors import DependencyUnavailable
from snip_local import running
from snip_local.local_config import LocalConfig
from snip_local.text_columns import aligned

OK, FAILED, USAGE = 0, 1, 2
STACK_ENV = "SNIP_STACK"
DYNAMODB_URL_ENV = "SNIP_DYNAMODB_URL"
USAGE_PLAN_OUTPUT = "UsagePlanId"
REGISTRY_OUTPUT = "ApiKeysTable"
SECRET_BYTES = 30  # 40 URL-safe characters, like API Gateway's own generated values
NO_RECORD = "(no record: its own owner)"


class ApiKeysError(Exception):
    """A request the stack refused or could not answer; the message says which and why."""


@dataclass(frozen=True)
class ApiKeyRow:
    """One line of ``snip keys list``: the registry's record and, deployed, API Gateway's state."""

    record: ApiKeyRecord
    state: str  # active, revoked, disabled (API Gateway only), missing (gone from API Gateway)


class ApiKeyTarget(Protocol):
    def create(self, owner: str, key_scopes: tuple[str, ...], name: str) -> tuple[ApiKeyRecord, str]: ...

    def revoke(self, key_id: str) -> ApiKeyRecord: ...

    def rows(self) -> list[ApiKeyRow]: ...


def _new_record(key_id: str, owner: str, key_scopes: tuple[str, ...], name: str) -> ApiKeyRecord:
    return ApiKeyRecord(key_id=key_id, owner=owner, scopes=key_scopes, created_at=clock.now_ts(), name=name)


class LocalApiKeys:
    """Keys of a running local stack: recorded with their secret's hash, checked by its gateway."""

    def __init__(self, registry: ApiKeyRegistry) -> None:
        self.registry = registry

    def create(self, owner: str, key_scopes: tuple[str, ...], name: str) -> tuple[ApiKeyRecord, str]:
        secret = secrets.token_urlsafe(SECRET_BYTES)
        record = _new_record(local_key_id(secret), owner, key_scopes, name)
        self.registry.put(replace(record, secret_sha256=secret_sha256(secret)))
        return record, secret

    def revoke(self, key_id: str) -> ApiKeyRecord:
        if not self.registry.revoke(key_id, clock.now_ts()):
            raise ApiKeysError(f"no key {key_id} in {self.registry.table}")
        return _found(self.registry, key_id)

    def rows(self) -> list[ApiKeyRow]:
        return [ApiKeyRow(r, "revoked" if r.revoked_at else "active") for r in self.registry.records()]


class DeployedApiKeys:
    """Keys of a deployed stack: API Gateway API keys on its usage plan, owners in its registry."""

    def __init__(self, apigateway: Any, registry: ApiKeyRegistry, usage_plan_id: str) -> None:
        self.apigateway = apigateway
        self.registry = registry
        self.usage_plan_id = usage_plan_id

    def create(self, owner: str, key_scopes: tuple[str, ...], name: str) -> tuple[ApiKeyRecord, str]:
        # Made disabled, recorded, bound, then enabled: a key without its record would be its own
        # owner with both scopes (snip.operations.callers), so it must never work before the record exists.
        made = self.apigateway.create_api_key(
            name=f"snip-{owner}-{name}" if name else f"snip-{owner}",
            description=f"Snip API key of {owner} ({', '.join(key_scopes)})",
            enabled=False,
        )
        key_id, secret = made["id"], made["value"]
        record = _new_record(key_id, owner, key_scopes, name)
        try:
            self.registry.put(record)
            self.apigateway.create_usage_plan_key(
                usagePlanId=self.usage_plan_id, keyId=key_id, keyType="API_KEY"
            )
            self._set_enabled(key_id, True)
        except Exception:
            self.apigateway.delete_api_key(apiKey=key_id)  # never leave a half-made key behind
            raise
        return record, secret

    def revoke(self, key_id: str) -> ApiKeyRecord:
        known = self._usage_plan_keys()
        now = clock.now_ts()
        if not self.registry.revoke(key_id, now):
            if key_id not in known:
                raise ApiKeysError(f"no key {key_id} on usage plan {self.usage_plan_id}")
            # A key from before owners (the stack's own, say): record it as revoked, its own owner.
            self.registry.put(ApiKeyRecord(key_id, key_id, api_scopes.ALL, now, NO_RECORD, revoked_at=now))
        if key_id in known:
            self._set_enabled(key_id, False)
        return _found(self.registry, key_id)

    def rows(self) -> list[ApiKeyRow]:
        enabled = self._usage_plan_keys()
        rows = []
        for record in self.registry.records():
            if record.revoked_at:
                state = "revoked"
            elif record.key_id not in enabled:
                state = "missing"
            else:
                state = "active" if enabled[record.key_id] else "disabled"
            rows.append(ApiKeyRow(record, state))
        recorded = {row.record.key_id for row in rows}
        for key_id, is_enabled in enabled.items():  # keys from before owners: their own owner
            if key_id not in recorded:
                record = ApiKeyRecord(key_id, key_id, api_scopes.ALL, "", NO_RECORD)
                rows.append(ApiKeyRow(record, "active" if is_enabled else "disabled"))
        return rows

    def _usage_plan_keys(self) -> dict[str, bool]:
        """Key id -> enabled, for every key bound to the stack's usage plan."""
        ids = [
            item["id"]
            for page in self.apigateway.get_paginator("get_usage_plan_keys").paginate(
                usagePlanId=self.usage_plan_id
            )
            for item in page.get("items", [])
        ]
        return {key_id: bool(self.apigateway.get_api_key(apiKey=key_id).get("enabled")) for key_id in ids}

    def _set_enabled(self, key_id: str, enabled: bool) -> None:
        self.apigateway.update_api_key(
            apiKey=key_id,
            patchOperations=[{"op": "replace", "path": "/enabled", "value": str(enabled).lower()}],
        )


def _found(registry: ApiKeyRegistry, key_id: str) -> ApiKeyRecord:
    record = registry.get(key_id)
    if record is None:
        raise ApiKeysError(f"key {key_id} vanished from {registry.table}")
    return record


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    (found,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    return {out["OutputKey"]: out["OutputValue"] for out in found.get("Outputs", [])}


def deployed_target(stack: str, region: str | None = None) -> DeployedApiKeys:
    """The keys of the deployed stack ``stack``, found from its outputs (the caller's credentials)."""
    session = boto3.session.Session(region_name=region)
    outputs = stack_outputs(session.client("cloudformation"), stack)
    missing = [name for name in (USAGE_PLAN_OUTPUT, REGISTRY_OUTPUT) if name not in outputs]
    if missing:
        raise ApiKeysError(f"stack {stack} has no output {', '.join(missing)}: deploy this version first")
    registry = ApiKeyRegistry(session.client("dynamodb"), outputs[REGISTRY_OUTPUT])
    return DeployedApiKeys(session.client("apigateway"), registry, outputs[USAGE_PLAN_OUTPUT])


def local_dynamodb_url() -> str:
    """The local stack's DynamoDB endpoint: ``$SNIP_DYNAMODB_URL``, ``$SNIP_DYNAMODB_PORT``, else the one
    recorded by the running stack (the one on ``$PORT`` if set, else the newest) from here upwards.
    Never a guess: another program may listen on the default port."""
    if os.environ.get(DYNAMODB_URL_ENV):
        return os.environ[DYNAMODB_URL_ENV]
    config = LocalConfig.from_env(os.environ)
    if os.environ.get("SNIP_DYNAMODB_PORT"):
        return config.aws_url
    port = config.port if os.environ.get("PORT") else None
    found = running.find(Path.cwd(), port)
    on = f" on port {port}" if port is not None else ""
    if found is None:
        raise ApiKeysError(
            f"no running local stack{on} recorded in ./{running.FOLDER}/ here or above: start one with "
            "`make run` (in the repository), or name it with --dynamodb-url, or a deployed one with --stack"
        )
    if found.dynamodb_url is None:
        raise ApiKeysError(f"{found.path} does not record the DynamoDB endpoint: restart that stack")
    return found.dynamodb_url


def local_target(dynamodb_url: str) -> LocalApiKeys:
    from snip_local.gateway import registry_at  # the local stack's own client and table name

    return LocalApiKeys(registry_at(dynamodb_url))


# -- output: the same lines for both stacks -----------------------------------------------------
def as_json(record: ApiKeyRecord, **more: str) -> dict[str, object]:
    return {
        "key_id": record.key_id,
        "owner": record.owner,
        "scopes": list(record.scopes),
        "name": record.name,
        "created_at": record.created_at or None,
        "revoked_at": record.revoked_at or None,
        **more,
    }


def print_json(value: object) -> None:
    print(json.dumps(value, indent=2))


def print_created(record: ApiKeyRecord, secret: str) -> None:
    print(f"key_id   {record.key_id}")
    print(f"owner    {record.owner}")
    print(f"scopes   {' '.join(record.scopes)}")
    if record.name:
        print(f"name     {record.name}")
    print(f"secret   {secret}")
    print("The secret is shown this once: send it in x-api-key. Snip keeps no copy of it.")


def ordered(rows: Iterable[ApiKeyRow]) -> list[ApiKeyRow]:
    return sorted(rows, key=lambda row: (row.record.owner, row.record.created_at, row.record.key_id))


def print_rows(rows: Iterable[ApiKeyRow]) -> None:
    table = [("KEY_ID", "OWNER", "SCOPES", "STATE", "CREATED", "NAME")] + [
        (
            row.record.key_id,
            row.record.owner,
            ",".join(row.record.scopes),
            row.state,
            row.record.created_at or "-",
            row.record.name or "-",
        )
        for row in ordered(rows)
    ]
    for line in aligned(table):
        print(line)


# -- the command ---------------------------------------------------------------------------------
def add_arguments(keys: argparse.ArgumentParser) -> None:
    """The ``keys`` options and sub-commands (``snip keys ...``; registered in ``snip_local.cli``)."""
    keys.add_argument("--stack", help=f"a deployed stack's name (default ${STACK_ENV}); else the local stack")
    keys.add_argument("--region", help="the deployed stack's region (default: the AWS CLI's)")
    keys.add_argument(
        "--dynamodb-url",
        help=f"the local stack's DynamoDB endpoint (default ${DYNAMODB_URL_ENV}, else the running stack's)",
    )
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--json", action="store_true", help="print JSON instead of lines")
    actions = keys.add_subparsers(dest="keys_command", required=True)
    create = actions.add_parser(
        "create", parents=[output], help="make a key for OWNER and print its secret (once)"
    )
    create.add_argument("owner")
    create.add_argument(
        "--scope",
        choices=api_scopes.ALL,
        default=api_scopes.WRITE,
        help=f"{api_scopes.READ} (read only) or {api_scopes.WRITE} (default; implies read)",
    )
    create.add_argument("--name", default="", help="a label, e.g. the client that will use the key")
    actions.add_parser("list", parents=[output], help="every key: owner, scopes, state")
    revoke = actions.add_parser(
        "revoke", parents=[output], help="refuse KEY_ID from now on (deployed: within 60 s)"
    )
    revoke.add_argument("key_id")
    keys.set_defaults(func=run)


def target_of(args: argparse.Namespace) -> ApiKeyTarget:
    stack = args.stack or os.environ.get(STACK_ENV)
    if stack:
        return deployed_target(stack, args.region)
    return local_target(args.dynamodb_url or local_dynamodb_url())


def where(args: argparse.Namespace) -> str:
    """Which stack a command talks to, for its error messages."""
    stack = args.stack or os.environ.get(STACK_ENV)
    if stack:
        return f"stack {stack}"
    try:
        url = args.dynamodb_url or local_dynamodb_url()
    except ApiKeysError:
        url = "(not found)"
    return f"the local stack at {url} (--dynamodb-url, or --stack NAME)"


def run(args: argparse.Namespace, target: ApiKeyTarget | None = None) -> int:
    try:
        if args.keys_command == "create" and not args.owner.strip():
            print("snip keys: OWNER must not be empty", file=sys.stderr)
            return USAGE
        target = target or target_of(args)
        as_lines = not getattr(args, "json", False)
        if args.keys_command == "create":
            key_scopes = (api_scopes.READ,) if args.scope == api_scopes.READ else api_scopes.ALL
            record, secret = target.create(args.owner.strip(), key_scopes, args.name)
            if as_lines:
                print_created(record, secret)
            else:
                print_json(as_json(record, secret=secret))
        elif args.keys_command == "list":
            rows = target.rows()
            if as_lines:
                print_rows(rows)
            else:
                print_json({"keys": [as_json(row.record, state=row.state) for row in ordered(rows)]})
        else:
            record = target.revoke(args.key_id)
            if as_lines:
                print(f"revoked {record.key_id} (owner {record.owner}) at {record.revoked_at}")
            else:
                print_json(as_json(record))
    except ApiKeysError as exc:
        print(f"snip keys: {exc}", file=sys.stderr)
        return FAILED
    except (DependencyUnavailable, ClientError, BotoCoreError) as exc:
        print(f"snip keys: {where(args)} refused or could not be reached: {exc}", file=sys.stderr)
        return FAILED
    return OK


def main(argv: Sequence[str] | None = None) -> int:
    top = argparse.ArgumentParser(prog="snip keys", description="Manage Snip's API keys.")
    add_arguments(top)
    args = top.parse_args(argv)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
