"""`snip keys` against a deployed stack, on moto's API Gateway, CloudFormation and DynamoDB.

The stack is built by hand (a REST API, its usage plan, the registry table, and a CloudFormation
stack that only carries the outputs `snip keys` reads), so the test needs no CDK deploy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from snip.data.api_keys_table import ApiKeyRegistry, local_key_id, secret_sha256
from snip.domain import api_scopes
from snip_deploy.tables import API_KEYS
from snip_local import api_keys_cli

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse")

REGION = "eu-west-1"
TABLE = "snip-stack-api-keys"


class Deployed:
    def __init__(self) -> None:
        self.apigateway = boto3.client("apigateway", region_name=REGION)
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        api = self.apigateway.create_rest_api(name="Snip")
        self.plan = self.apigateway.create_usage_plan(name="snip-default")["id"]
        self.stack_key = self.apigateway.create_api_key(name="stack", enabled=True)["id"]
        self.apigateway.create_usage_plan_key(usagePlanId=self.plan, keyId=self.stack_key, keyType="API_KEY")
        self.unrelated = self.apigateway.create_api_key(name="not-ours", enabled=True)["id"]
        self.dynamodb.create_table(**API_KEYS.create_table_args(TABLE))
        template = {
            "Resources": {"Nothing": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
            "Outputs": {
                api_keys_cli.USAGE_PLAN_OUTPUT: {"Value": self.plan},
                api_keys_cli.REGISTRY_OUTPUT: {"Value": TABLE},
                "ApiUrl": {"Value": f"https://{api['id']}.execute-api.{REGION}.amazonaws.com/prod/"},
            },
        }
        boto3.client("cloudformation", region_name=REGION).create_stack(
            StackName="Snip", TemplateBody=json.dumps(template)
        )

    def registry(self) -> ApiKeyRegistry:
        return ApiKeyRegistry(self.dynamodb, TABLE)

    def enabled(self, key_id: str) -> bool:
        return bool(self.apigateway.get_api_key(apiKey=key_id)["enabled"])

    def plan_keys(self) -> set[str]:
        return {item["id"] for item in self.apigateway.get_usage_plan_keys(usagePlanId=self.plan)["items"]}


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployed]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv(api_keys_cli.STACK_ENV, raising=False)
    with mock_aws():
        yield Deployed()


def snip_keys(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = api_keys_cli.main(["--stack", "Snip", "--region", REGION, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def fields(out: str) -> dict[str, str]:
    return dict(re.findall(r"^(key_id|owner|scopes|name|secret)\s+(.+)$", out, re.M))


def table_rows(out: str) -> dict[str, list[str]]:
    lines = out.splitlines()
    assert lines[0].split() == ["KEY_ID", "OWNER", "SCOPES", "STATE", "CREATED", "NAME"]
    return {line.split()[0]: line.split() for line in lines[1:]}


def test_create_makes_an_enabled_key_on_the_usage_plan_and_records_its_owner(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = snip_keys(capsys, "create", "alice", "--scope", "links.read", "--name", "ci")
    assert code == 0
    made = fields(out)
    assert made["owner"] == "alice"
    assert made["scopes"] == "links.read"
    assert made["name"] == "ci"
    key_id, secret = made["key_id"], made["secret"]
    assert deployed.apigateway.get_api_key(apiKey=key_id, includeValue=True)["value"] == secret
    assert deployed.enabled(key_id)
    assert key_id in deployed.plan_keys()
    record = deployed.registry().get(key_id)
    assert record is not None
    assert (record.owner, record.scopes, record.name, record.revoked_at) == (
        "alice",
        (api_scopes.READ,),
        "ci",
        None,
    )
    stored = json.dumps(deployed.dynamodb.scan(TableName=TABLE)["Items"])
    assert secret not in stored
    assert secret_sha256(secret) not in stored


def test_list_joins_the_registry_with_api_gateway(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    key_id = fields(snip_keys(capsys, "create", "alice")[1])["key_id"]
    code, out, _ = snip_keys(capsys, "list")
    assert code == 0
    rows = table_rows(out)
    assert rows[key_id][1:4] == ["alice", "links.read,links.write", "active"]
    # The stack's own key has no record: listed as its own owner with both scopes.
    assert rows[deployed.stack_key][1:4] == [deployed.stack_key, "links.read,links.write", "active"]
    assert deployed.unrelated not in rows  # only the stack's usage plan
    assert "secret" not in out


def test_revoke_records_it_and_disables_the_key(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    key_id = fields(snip_keys(capsys, "create", "alice")[1])["key_id"]
    code, out, _ = snip_keys(capsys, "revoke", key_id)
    assert code == 0
    assert out.startswith(f"revoked {key_id} (owner alice) at ")
    assert not deployed.enabled(key_id)
    record = deployed.registry().get(key_id)
    assert record is not None
    assert record.revoked_at
    assert table_rows(snip_keys(capsys, "list")[1])[key_id][3] == "revoked"


def test_revoking_the_stacks_own_key_records_it(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = snip_keys(capsys, "revoke", deployed.stack_key)
    assert code == 0
    assert not deployed.enabled(deployed.stack_key)
    record = deployed.registry().get(deployed.stack_key)
    assert record is not None
    assert record.owner == deployed.stack_key
    assert record.revoked_at


def test_revoking_an_unknown_key_fails(deployed: Deployed, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = snip_keys(capsys, "revoke", deployed.unrelated)
    assert code == 1
    assert "no key" in err
    assert deployed.enabled(deployed.unrelated)


def test_a_key_whose_record_cannot_be_written_is_deleted(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed.dynamodb.delete_table(TableName=TABLE)
    before = {key["id"] for key in deployed.apigateway.get_api_keys()["items"]}
    code, _, err = snip_keys(capsys, "create", "alice")
    assert code == 1
    assert "could not be reached" in err or "refused" in err
    assert {key["id"] for key in deployed.apigateway.get_api_keys()["items"]} == before


def test_a_stack_without_the_outputs_is_named(deployed: Deployed, capsys: pytest.CaptureFixture[str]) -> None:
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="Old",
        TemplateBody=json.dumps({"Resources": {"N": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}),
    )
    code = api_keys_cli.main(["--stack", "Old", "--region", REGION, "list"])
    assert code == 1
    assert "UsagePlanId" in capsys.readouterr().err


@pytest.fixture
def local_registry(deployed: Deployed) -> ApiKeyRegistry:
    return deployed.registry()


def test_local_mode_keeps_only_the_secrets_hash_and_prints_the_same_lines(
    local_registry: ApiKeyRegistry, capsys: pytest.CaptureFixture[str]
) -> None:
    target = api_keys_cli.LocalApiKeys(local_registry)
    args = keys_cli_args("create", "bob", "--name", "laptop")
    assert api_keys_cli.run(args, target) == 0
    made = fields(capsys.readouterr().out)
    assert set(made) == {"key_id", "owner", "scopes", "name", "secret"}  # as deployed
    assert made["key_id"] == local_key_id(made["secret"])
    record = local_registry.get(made["key_id"])
    assert record is not None
    assert record.secret_sha256 == secret_sha256(made["secret"])
    assert made["secret"] not in json.dumps(local_registry.client.scan(TableName=TABLE)["Items"])
    assert api_keys_cli.run(keys_cli_args("list"), target) == 0
    assert table_rows(capsys.readouterr().out)[made["key_id"]][1:4] == [
        "bob",
        "links.read,links.write",
        "active",
    ]
    assert api_keys_cli.run(keys_cli_args("revoke", made["key_id"]), target) == 0
    assert local_registry.get(made["key_id"]).revoked_at  # type: ignore[union-attr]
    assert api_keys_cli.run(keys_cli_args("revoke", "lk-unknown"), target) == 1


def keys_cli_args(*argv: str) -> Any:
    import argparse

    top = argparse.ArgumentParser()
    api_keys_cli.add_arguments(top)
    return top.parse_args(list(argv))
