"""Idempotency-Key under faults, one fault at a time, placed where it hurts most.

A create with an Idempotency-Key makes three DynamoDB writes: the in-progress record, the link
(the claim) and the record's completion. A fault on the last one comes after the link exists.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from snip.data import clients
from snip.settings import DEFAULT_TABLES, Env
from tests.reliability.handler_clients import Driver, ShortContext
from tests.reliability.table_dumps import links_by_key

IDEMPOTENCY = DEFAULT_TABLES[Env.IDEMPOTENCY_TABLE]


def fail_once(client: Any, operation: str, table: str) -> list[str]:
    """Throttle the first ``operation`` on ``table`` (after the SDK's retries); returns what failed."""
    failed: list[str] = []

    def before_call(model: Any, params: dict[str, Any], **_: Any) -> None:
        if failed or model.name != operation or table.encode() not in (params.get("body") or b""):
            return
        failed.append(model.name)
        raise ClientError(
            {"Error": {"Code": "ThrottlingException"}, "ResponseMetadata": {"HTTPStatusCode": 400}},
            model.name,
        )

    client.meta.events.register_first("before-call.dynamodb", before_call)
    return failed


@pytest.mark.usefixtures("filled_pool")
@pytest.mark.parametrize(
    "operation",
    ["PutItem", "TransactWriteItems"],
    ids=["in-progress record", "claim"],  # completion: the next test
)
def test_a_retrying_client_ends_with_one_key(handlers: dict[str, Any], operation: str) -> None:
    drive = Driver(handlers)
    table = IDEMPOTENCY if operation != "TransactWriteItems" else DEFAULT_TABLES[Env.LINKS_TABLE]
    failed = fail_once(clients.dynamodb(), operation, table)
    body = {"url": "https://example.com/once"}
    first = drive("POST", "/links", body=body, headers={"Idempotency-Key": "k1"}, context=ShortContext())
    assert (first.status, failed) == (503, [operation])
    final = drive.idempotent_create(body, "k1")
    assert final.status == 201
    replay = drive("POST", "/links", body=body, headers={"Idempotency-Key": "k1"})
    assert replay.json["key"] == final.json["key"]


@pytest.mark.usefixtures("filled_pool")
def test_a_completion_fault_still_replays_the_first_link(handlers: dict[str, Any], dynamodb: Any) -> None:
    drive = Driver(handlers)
    failed = fail_once(clients.dynamodb(), "UpdateItem", IDEMPOTENCY)
    body = {"url": "https://example.com/exactly-once"}
    first = drive("POST", "/links", body=body, headers={"Idempotency-Key": "k2"}, context=ShortContext())
    assert failed == ["UpdateItem"]
    final = drive.idempotent_create(body, "k2")  # a client that did not get (or trust) the first answer
    assert final.status == 201
    if first.status == 201:
        assert final.json["key"] == first.json["key"]
    links = [key for key, url in links_by_key(dynamodb).items() if url == body["url"]]
    assert links == [final.json["key"]]
