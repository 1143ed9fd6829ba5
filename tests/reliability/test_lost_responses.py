"""The other half of a timeout, after the SDK's retries: DynamoDB did the write, its answer was lost.

Regression tests for Snip's own look-up of a write whose outcome is unknown (``_checked_write``),
in-process: the hook raises where botocore raises once its retries are spent. Lost answers
*inside* the SDK's retry loop are the local stack's to inject: test_lost_answers.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ReadTimeoutError

from snip.data import clients
from tests.reliability.handler_clients import Driver
from tests.reliability.table_dumps import LINKS, links_by_key

ENDPOINT = "https://dynamodb.us-east-1.amazonaws.com/"


def lose_first_response(client: Any, operation: str) -> list[str]:
    """The first ``operation`` that writes the links table is done, and its answer lost."""
    lost: list[str] = []
    writes_links = [False]

    def before_call(params: dict[str, Any], **_: Any) -> None:
        writes_links[0] = f'"{LINKS}"'.encode() in (params.get("body") or b"")

    def after_call(model: Any, **_: Any) -> None:
        if not lost and writes_links[0]:
            lost.append(model.name)
            raise ReadTimeoutError(endpoint_url=ENDPOINT)

    client.meta.events.register_first(f"before-call.dynamodb.{operation}", before_call)
    client.meta.events.register_first(f"after-call.dynamodb.{operation}", after_call)
    return lost


# Found by this suite, fixed in 5fc6370: the retry answered 409 alias_taken for the client's own link.
@pytest.mark.usefixtures("filled_pool")
def test_an_idempotent_aliased_create_survives_a_lost_response(handlers: dict[str, Any]) -> None:
    drive = Driver(handlers)
    # With an Idempotency-Key the alias is written with its key in the record: one transaction.
    lost = lose_first_response(clients.dynamodb(), "TransactWriteItems")
    body = {"url": "https://example.com/mine", "alias": "my-own-alias"}
    reply = drive.idempotent_create(body, "alias-once")
    assert lost == ["TransactWriteItems"]
    assert (reply.status, reply.json.get("key")) == (201, "my-own-alias"), reply.body


# Found by this suite, fixed in 5fc6370: the retry claimed a second key (two links, one request).
@pytest.mark.usefixtures("filled_pool")
def test_an_idempotent_create_survives_a_lost_response(handlers: dict[str, Any], dynamodb: Any) -> None:
    drive = Driver(handlers)
    lost = lose_first_response(clients.dynamodb(), "TransactWriteItems")
    body = {"url": "https://example.com/just-one"}
    reply = drive.idempotent_create(body, "claim-once")
    assert lost == ["TransactWriteItems"]
    assert reply.status == 201
    assert [k for k, url in links_by_key(dynamodb).items() if url == body["url"]] == [reply.json["key"]]
