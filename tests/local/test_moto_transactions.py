"""The local stack's moto: ClientRequestToken honoured as DynamoDB does, and a cheaper transaction
rollback that keeps moto's all-or-nothing behaviour."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from snip.settings import DEFAULT_TABLES, Env
from snip_deploy.tables import create_tables
from snip_local import moto_transactions

KEYS = DEFAULT_TABLES[Env.KEYS_TABLE]
LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
NAMES = {"#k": "key"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(clock: Clock) -> Iterator[Any]:
    moto_transactions.install(moto_transactions.RecentTokens(clock))
    try:
        with mock_aws():
            dynamodb = boto3.client("dynamodb", region_name="us-east-1")
            create_tables(dynamodb, DEFAULT_TABLES)
            yield dynamodb
    finally:
        moto_transactions.uninstall()


def claim(key: str, shard: str = "0") -> list[dict[str, Any]]:
    return [
        {"Delete": {"TableName": KEYS, "Key": {"shard": {"N": shard}, "key": {"S": key}},
                    "ConditionExpression": "attribute_exists(#k)", "ExpressionAttributeNames": NAMES}},
        {"Put": {"TableName": LINKS, "Item": {"key": {"S": key}, "url": {"S": "https://e.com"}},
                 "ConditionExpression": "attribute_not_exists(#k)", "ExpressionAttributeNames": NAMES}},
    ]  # fmt: skip


def test_a_committed_transaction_writes_both_items(client: Any) -> None:
    client.put_item(TableName=KEYS, Item={"shard": {"N": "0"}, "key": {"S": "abc"}})
    client.transact_write_items(TransactItems=claim("abc"))
    assert client.scan(TableName=KEYS)["Items"] == []
    assert client.scan(TableName=LINKS)["Count"] == 1


def test_a_cancelled_transaction_writes_nothing(client: Any) -> None:
    client.put_item(TableName=KEYS, Item={"shard": {"N": "0"}, "key": {"S": "abc"}})
    client.put_item(TableName=LINKS, Item={"key": {"S": "abc"}, "url": {"S": "https://first.example"}})
    with pytest.raises(client.exceptions.TransactionCanceledException) as cancelled:
        client.transact_write_items(TransactItems=claim("abc"))
    reasons = [r["Code"] for r in cancelled.value.response["CancellationReasons"]]
    assert reasons == ["None", "ConditionalCheckFailed"]
    assert client.scan(TableName=KEYS)["Count"] == 1  # the delete was rolled back
    link = client.get_item(TableName=LINKS, Key={"key": {"S": "abc"}})["Item"]
    assert link["url"]["S"] == "https://first.example"


def test_transactions_with_an_update_still_roll_back(client: Any) -> None:
    client.put_item(TableName=LINKS, Item={"key": {"S": "abc"}, "visits": {"N": "1"}})
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(
            TransactItems=[
                {"Update": {"TableName": LINKS, "Key": {"key": {"S": "abc"}},
                            "UpdateExpression": "SET visits = visits + :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}}}},
                {"ConditionCheck": {"TableName": LINKS, "Key": {"key": {"S": "nope"}},
                                    "ConditionExpression": "attribute_exists(#k)",
                                    "ExpressionAttributeNames": NAMES}},
            ]
        )  # fmt: skip
    item = client.get_item(TableName=LINKS, Key={"key": {"S": "abc"}})["Item"]
    assert item["visits"]["N"] == "1"


def test_tables_are_not_deep_copied(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import copy

    copied: list[str] = []
    real = copy.deepcopy

    def spy(value: Any, memo: Any = None) -> Any:
        if isinstance(value, moto_transactions.dynamodb_models.Table):
            copied.append(value.name)
        return real(value, memo)

    monkeypatch.setattr(copy, "deepcopy", spy)
    client.put_item(TableName=KEYS, Item={"shard": {"N": "0"}, "key": {"S": "abc"}})
    client.transact_write_items(TransactItems=claim("abc"))
    assert copied == []


def test_moto_keeps_no_copy_of_every_item_written(client: Any) -> None:
    from moto.dynamodb.models.dynamo_type import Item

    for n in range(20):
        client.put_item(TableName=LINKS, Item={"key": {"S": f"k{n}"}})
    assert len(Item.instances_tracked) == 0  # type: ignore[attr-defined]
    assert len(moto_transactions.dynamodb_models.Table.instances_tracked) == 0  # type: ignore[attr-defined]


# -- ClientRequestToken -------------------------------------------------------------------
def test_a_repeated_token_answers_the_first_success_without_writing_again(client: Any) -> None:
    client.put_item(TableName=KEYS, Item={"shard": {"N": "0"}, "key": {"S": "abc"}})
    client.transact_write_items(TransactItems=claim("abc"), ClientRequestToken="retry-1")
    # botocore's retry after a lost answer: the same call, the same token. Without the token
    # memory it is cancelled by its own first write (the key is gone, the link exists).
    client.transact_write_items(TransactItems=claim("abc"), ClientRequestToken="retry-1")
    assert client.scan(TableName=LINKS)["Count"] == 1


def test_a_repeated_token_answers_the_first_cancellation(client: Any) -> None:
    client.put_item(TableName=LINKS, Item={"key": {"S": "abc"}, "url": {"S": "https://first.example"}})
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=claim("abc"), ClientRequestToken="retry-2")
    # Now the same transaction would succeed; a repeat of its token still answers the first result.
    client.delete_item(TableName=LINKS, Key={"key": {"S": "abc"}})
    client.put_item(TableName=KEYS, Item={"shard": {"N": "0"}, "key": {"S": "abc"}})
    with pytest.raises(client.exceptions.TransactionCanceledException) as again:
        client.transact_write_items(TransactItems=claim("abc"), ClientRequestToken="retry-2")
    reasons = [r["Code"] for r in again.value.response["CancellationReasons"]]
    assert reasons == ["ConditionalCheckFailed", "ConditionalCheckFailed"]
    assert client.scan(TableName=LINKS)["Count"] == 0
    assert client.scan(TableName=KEYS)["Count"] == 1


def test_the_same_token_with_other_items_is_refused(client: Any) -> None:
    client.put_item(TableName=KEYS, Item={"shard": {"N": "0"}, "key": {"S": "abc"}})
    client.put_item(TableName=KEYS, Item={"shard": {"N": "0"}, "key": {"S": "xyz"}})
    client.transact_write_items(TransactItems=claim("abc"), ClientRequestToken="retry-3")
    with pytest.raises(client.exceptions.IdempotentParameterMismatchException):
        client.transact_write_items(TransactItems=claim("xyz"), ClientRequestToken="retry-3")
    assert client.scan(TableName=KEYS)["Count"] == 1  # xyz stays in the pool


def test_a_token_is_forgotten_after_ten_minutes(client: Any, clock: Clock) -> None:
    client.put_item(TableName=KEYS, Item={"shard": {"N": "0"}, "key": {"S": "abc"}})
    client.transact_write_items(TransactItems=claim("abc"), ClientRequestToken="retry-4")
    clock.now += moto_transactions.TOKEN_WINDOW_SECONDS - 1
    client.transact_write_items(TransactItems=claim("abc"), ClientRequestToken="retry-4")
    clock.now += 2
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=claim("abc"), ClientRequestToken="retry-4")


def test_calls_with_different_tokens_are_different_calls(client: Any) -> None:
    client.put_item(TableName=KEYS, Item={"shard": {"N": "0"}, "key": {"S": "abc"}})
    client.transact_write_items(TransactItems=claim("abc"))  # botocore makes a token per call
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=claim("abc"))
