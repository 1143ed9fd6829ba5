"""Idempotency-Key on POST /links: replay, mismatch, in flight, scoped per owner."""

from __future__ import annotations

from typing import Any

import pytest

from snip.settings import DEFAULT_TABLES, Env
from tests.service.conftest import Call, scan

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
IDEMPOTENCY = DEFAULT_TABLES[Env.IDEMPOTENCY_TABLE]
BODY = {"url": "https://example.com/once"}

pytestmark = pytest.mark.usefixtures("filled_pool")


def post(call: Call, key: str, body: dict[str, Any] = BODY, owner: str = "owner-a") -> Any:
    return call("POST", "/links", body=body, headers={"Idempotency-Key": key}, api_key_id=owner)


def test_same_key_and_body_replays_the_first_response(call: Call, dynamodb: Any) -> None:
    first = post(call, "order-42")
    again = post(call, "order-42")
    assert first.status == again.status == 201
    assert again.json == first.json
    assert again.body == first.body  # byte for byte, field order included
    assert again.headers["Location"] == first.headers["Location"]
    assert len(scan(dynamodb, LINKS)) == 1


def test_replay_ignores_key_order_and_whitespace_in_the_body(call: Call) -> None:
    first = post(call, "k1", {"url": "https://e.com", "max_visits": 2})
    again = call(
        "POST",
        "/links",
        body='{ "max_visits": 2,   "url": "https://e.com" }',
        headers={"Idempotency-Key": "k1"},
    )
    assert again.json["key"] == first.json["key"]


def test_same_key_with_another_body_is_422(call: Call, dynamodb: Any) -> None:
    post(call, "order-43")
    reply = post(call, "order-43", {"url": "https://example.com/other"})
    assert (reply.status, reply.error_code) == (422, "idempotency_mismatch")
    assert len(scan(dynamodb, LINKS)) == 1


def test_keys_are_scoped_per_owner(call: Call, dynamodb: Any) -> None:
    mine = post(call, "shared-key", owner="owner-a")
    theirs = post(call, "shared-key", owner="owner-b")
    assert theirs.status == 201
    assert theirs.json["key"] != mine.json["key"]
    assert len(scan(dynamodb, LINKS)) == 2


def test_a_request_still_in_flight_is_409(call: Call, dynamodb: Any) -> None:
    """The first request has written its INPROGRESS record and not finished: inject that."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
    )

    from snip.operations import idempotent_creates

    def in_flight(**_: Any) -> Any:
        raise IdempotencyAlreadyInProgressError("in progress")

    pytest.MonkeyPatch().context()
    original = idempotent_creates.idempotent_function
    idempotent_creates.idempotent_function = lambda **_: lambda fn: in_flight  # type: ignore[assignment]
    try:
        reply = post(call, "slow-one")
    finally:
        idempotent_creates.idempotent_function = original
    assert (reply.status, reply.error_code) == (409, "request_in_progress")
    assert scan(dynamodb, LINKS) == []


def test_a_failed_create_is_not_remembered(call: Call) -> None:
    call("POST", "/links", body={"url": "https://e.com", "alias": "taken-alias"})
    failed = post(call, "retry-me", {"url": "https://e.com", "alias": "taken-alias"})
    assert failed.status == 409
    call("DELETE", "/links/taken-alias")
    again = post(call, "retry-me", {"url": "https://e.com", "alias": "taken-alias"})
    assert again.status == 409  # tried again (not replayed), and the alias is still taken


@pytest.mark.parametrize("key", ["", "x" * 129, "has space", "caf\u00e9", "tab\tkey"])
def test_malformed_idempotency_key_is_400(call: Call, key: str) -> None:
    reply = post(call, key)
    assert (reply.status, reply.error_code) == (400, "invalid_idempotency_key")


def test_records_expire_after_24_hours(call: Call, dynamodb: Any) -> None:
    post(call, "ttl-check")
    (record,) = scan(dynamodb, IDEMPOTENCY)
    import time

    expires = int(record["expiration"]["N"])
    assert 86_400 - 60 <= expires - time.time() <= 86_400 + 60


def test_create_with_idempotency_key_costs_three_requests(call: Call, requests_made: list[str]) -> None:
    post(call, "count-me")
    writes = [r for r in requests_made if r != "Query"]
    assert writes == ["PutItem", "TransactWriteItems", "UpdateItem"]


def test_a_fault_completing_the_record_still_answers_the_created_link(call: Call, dynamodb: Any) -> None:
    """The link is written, then marking the idempotency record complete fails: answer 201 (a 503
    would send the client to retry into a second link)."""
    from snip.data import clients
    from tests.service import sdk_faults

    sdk_faults.inject(clients.dynamodb(), sdk_faults.THROTTLED, operations=("UpdateItem",))
    reply = post(call, "complete-fails")
    assert reply.status == 201
    assert [i["key"]["S"] for i in scan(dynamodb, LINKS)] == [reply.json["key"]]


def test_a_fault_before_the_link_is_written_is_503(call: Call, dynamodb: Any) -> None:
    from snip.data import clients
    from tests.service import sdk_faults

    sdk_faults.inject(clients.dynamodb(), sdk_faults.THROTTLED, operations=("PutItem",))
    reply = post(call, "start-fails")
    assert (reply.status, reply.headers["Retry-After"]) == (503, "1")
    assert scan(dynamodb, LINKS) == []
