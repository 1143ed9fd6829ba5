"""Faults injected by the local AWS endpoint land inside botocore's retry loop.

A real endpoint on a free loopback port (no functions), a boto3 client configured as the functions'
(standard mode, 3 attempts): a lost answer is applied and then retried by botocore itself; an error
answer is retried and writes nothing; rules are read from the environment and replaced at run time.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError

from snip.settings import DEFAULT_TABLES, Env
from snip_local import faults, moto_transactions
from snip_local.aws_endpoint import AwsEndpoint, EndpointServer
from snip_local.gateway import registry_at
from tests.e2e.stacks import free_port

KEYS = DEFAULT_TABLES[Env.KEYS_TABLE]
LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
IDEMPOTENCY = DEFAULT_TABLES[Env.IDEMPOTENCY_TABLE]
# As snip.data.clients configures the functions' client. botocore reads "max_attempts" in ``retries`` as
# retries after the first attempt ("total_max_attempts" counts them all): 4 attempts in all.
SDK = Config(connect_timeout=2, read_timeout=3, retries={"mode": "standard", "max_attempts": 3})
ATTEMPTS = 4


@pytest.fixture(scope="module")
def endpoint() -> Iterator[EndpointServer]:
    server = EndpointServer(free_port())
    server.start()
    server.create_tables()
    yield server
    server.stop()
    moto_transactions.uninstall()  # the endpoint patched moto for this whole process


@pytest.fixture
def client(endpoint: EndpointServer) -> Iterator[Any]:
    yield boto3.client(
        "dynamodb",
        endpoint_url=endpoint.url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=SDK,
    )
    set_faults(endpoint, "")


def set_faults(endpoint: EndpointServer, spec: str, seed: int = 0) -> dict[str, Any]:
    response = requests.post(f"{endpoint.url}/_snip/faults", json={"faults": spec, "seed": seed}, timeout=5)
    assert response.status_code == 200, response.text
    return dict(response.json())


def injected(endpoint: EndpointServer) -> dict[str, int]:
    return dict(requests.get(f"{endpoint.url}/_snip/faults", timeout=5).json()["injected"])


def seed_losing_first_draw_only(rate: float) -> int:
    """A seed whose first draw is a fault at ``rate`` and whose second is not."""
    for seed in range(1000):
        draws = random.Random(seed)
        if draws.random() < rate <= draws.random():
            return seed
    raise AssertionError("no such seed")


def claim(key: str) -> list[dict[str, Any]]:
    names = {"#k": "key"}
    return [
        {"Delete": {"TableName": KEYS, "Key": {"shard": {"N": "0"}, "key": {"S": key}},
                    "ConditionExpression": "attribute_exists(#k)", "ExpressionAttributeNames": names}},
        {"Put": {"TableName": LINKS, "Item": {"key": {"S": key}, "url": {"S": "https://e.com"}},
                 "ConditionExpression": "attribute_not_exists(#k)", "ExpressionAttributeNames": names}},
    ]  # fmt: skip


def test_a_lost_answer_is_applied_and_retried_by_botocore(endpoint: EndpointServer, client: Any) -> None:
    set_faults(endpoint, f"UpdateItem@{LINKS}:lost=0.5", seed=seed_losing_first_draw_only(0.5))
    client.put_item(TableName=LINKS, Item={"key": {"S": "count-me"}, "visits": {"N": "0"}})
    response = client.update_item(
        TableName=LINKS,
        Key={"key": {"S": "count-me"}},
        UpdateExpression="SET visits = visits + :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="ALL_NEW",
    )
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    # Both attempts were applied: the first answer was lost, not the write.
    assert response["Attributes"]["visits"]["N"] == "2"
    assert injected(endpoint) == {f"UpdateItem@{LINKS}:lost": 1}


def test_every_answer_lost_ends_in_a_connection_error_after_the_last_attempt(
    endpoint: EndpointServer, client: Any
) -> None:
    set_faults(endpoint, f"PutItem@{IDEMPOTENCY}:lost=1")
    with pytest.raises(ConnectionClosedError):
        client.put_item(TableName=IDEMPOTENCY, Item={"id": {"S": "lost-thrice"}})
    assert injected(endpoint) == {f"PutItem@{IDEMPOTENCY}:lost": ATTEMPTS}
    set_faults(endpoint, "")
    assert "Item" in client.get_item(TableName=IDEMPOTENCY, Key={"id": {"S": "lost-thrice"}})


def test_a_retried_transaction_whose_answer_was_lost_answers_its_first_result(
    endpoint: EndpointServer, client: Any
) -> None:
    """botocore sends one ClientRequestToken on every attempt; the endpoint's moto honours it."""
    client.put_item(TableName=KEYS, Item={"shard": {"N": "0"}, "key": {"S": "tok"}})
    set_faults(endpoint, f"TransactWriteItems@{LINKS}:lost=0.5", seed=seed_losing_first_draw_only(0.5))
    response = client.transact_write_items(TransactItems=claim("tok"))
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert "Item" in client.get_item(TableName=LINKS, Key={"key": {"S": "tok"}})


@pytest.mark.parametrize(
    ("setting", "code"),
    [("error", "InternalServerError"), ("throttle", "ProvisionedThroughputExceededException")],
)
def test_an_error_answer_writes_nothing_and_is_retried(
    endpoint: EndpointServer, client: Any, setting: str, code: str
) -> None:
    set_faults(endpoint, f"PutItem:{setting}=1")
    with pytest.raises(ClientError) as failed:
        client.put_item(TableName=LINKS, Item={"key": {"S": f"never-{setting}"}})
    assert failed.value.response["Error"]["Code"] == code
    assert failed.value.response["ResponseMetadata"]["RetryAttempts"] == ATTEMPTS - 1
    set_faults(endpoint, "")
    assert "Item" not in client.get_item(TableName=LINKS, Key={"key": {"S": f"never-{setting}"}})


def test_rules_select_by_operation_and_written_table(endpoint: EndpointServer, client: Any) -> None:
    set_faults(endpoint, f"PutItem@{KEYS}:error=1,TransactWriteItems@{KEYS}:error=1")
    client.put_item(TableName=LINKS, Item={"key": {"S": "other-table"}})  # not selected
    client.get_item(TableName=KEYS, Key={"shard": {"N": "0"}, "key": {"S": "x"}})  # not selected
    # A transaction that only checks the keys table does not write it: not selected.
    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": LINKS, "Item": {"key": {"S": "checked-only"}}}},
            {"ConditionCheck": {"TableName": KEYS, "Key": {"shard": {"N": "0"}, "key": {"S": "x"}},
                                "ConditionExpression": "attribute_not_exists(#k)",
                                "ExpressionAttributeNames": {"#k": "key"}}},
        ]
    )  # fmt: skip
    with pytest.raises(ClientError):
        client.put_item(TableName=KEYS, Item={"shard": {"N": "0"}, "key": {"S": "x"}})
    state = requests.get(f"{endpoint.url}/_snip/faults", timeout=5).json()
    assert state["injected"] == {f"PutItem@{KEYS}:error": ATTEMPTS}
    assert state["requests"][f"TransactWriteItems@{LINKS}"] == 1


def test_a_delay_is_counted_and_the_request_served(endpoint: EndpointServer, client: Any) -> None:
    set_faults(endpoint, "*:delay_ms=20")
    client.put_item(TableName=LINKS, Item={"key": {"S": "slow"}})
    assert injected(endpoint) == {f"PutItem@{LINKS}:delay": 1}


def test_faults_are_switched_off_and_bad_rules_refused(endpoint: EndpointServer, client: Any) -> None:
    assert set_faults(endpoint, "*:error=1")["faults"] == "*:error=1"
    assert requests.delete(f"{endpoint.url}/_snip/faults", timeout=5).json()["faults"] == ""
    client.put_item(TableName=LINKS, Item={"key": {"S": "healthy"}})
    bad = requests.post(f"{endpoint.url}/_snip/faults", json={"faults": "PutItem:lost=2"}, timeout=5)
    assert bad.status_code == 400
    assert "rates are 0 to 1" in bad.json()["error"]


# -- the rules, without a server ----------------------------------------------------------
def test_the_most_specific_rule_wins_per_setting() -> None:
    rules = faults.Faults(f"*:error=0.5,*:delay_ms=7,PutItem:error=0,PutItem@{KEYS}:lost=1", seed=1)
    assert rules.decide("PutItem", (KEYS,)) == faults.Decision(0.007, "lost")
    assert rules.decide("PutItem", (LINKS,)) == faults.Decision(0.007, None)  # PutItem: error=0
    assert rules.decide("GetItem", (LINKS,)).delay == 0.007


def test_the_draws_are_seeded() -> None:
    def run(seed: int) -> list[str | None]:
        rules = faults.Faults("*:lost=0.3,*:error=0.3", seed)
        return [rules.decide("PutItem", (LINKS,)).fault for _ in range(50)]

    assert run(7) == run(7)
    assert run(7) != run(8)


@pytest.mark.parametrize(
    "spec",
    ["PutItem", "PutItem:lost", "PutItem:lost=x", "PutItem:lost=-0.1", "PutItem:drop=0.1",
     "PutItem:error=0.6,PutItem:lost=0.6", "*:delay_ms=100000"],
)  # fmt: skip
def test_bad_specifications_are_refused(spec: str) -> None:
    with pytest.raises(faults.FaultSpecError):
        faults.parse(spec)


def test_settings_come_from_the_environment() -> None:
    rules = faults.Faults.from_env({"SNIP_FAULTS": "UpdateItem:lost=1", "SNIP_FAULTS_SEED": "3"})
    assert (rules.spec, rules.seed, rules.active) == ("UpdateItem:lost=1", 3, True)
    assert not faults.Faults.from_env({}).active


def test_the_endpoint_reads_its_faults_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SNIP_FAULTS", "TransactWriteItems:lost=0.1")
    monkeypatch.setenv("SNIP_FAULTS_SEED", "42")
    try:
        app = AwsEndpoint()
        assert (app.faults.spec, app.faults.seed) == ("TransactWriteItems:lost=0.1", 42)
        monkeypatch.setenv("SNIP_FAULTS", "TransactWriteItems:lost=2")
        with pytest.raises(faults.FaultSpecError):
            AwsEndpoint()
    finally:
        moto_transactions.uninstall()


def test_the_gateways_own_key_lookups_are_never_faulted(endpoint: EndpointServer, client: Any) -> None:
    """API Gateway's key check is not a request from Snip's functions: no fault rule touches it."""
    registry = registry_at(endpoint.url)
    set_faults(endpoint, "*:error=1")
    assert registry.get("lk-never-created") is None  # answered, not a 500
    with pytest.raises(ClientError):  # while a function's request fails
        client.get_item(TableName=LINKS, Key={"key": {"S": "anything"}})
