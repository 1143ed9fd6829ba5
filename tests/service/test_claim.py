"""Claiming a key for a new link: the transaction, its cancellation reasons, the empty pool.

moto has no concurrency, so other instances' moves are injected as the CancellationReasons
DynamoDB would send (read by code, never by message).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from snip.data import clients
from snip.domain.errors import DependencyUnavailable
from snip.domain.link import Link
from snip.domain.short_keys import shard_of
from snip.execution import environment
from snip.operations.key_pool import KeyPool
from snip.settings import DEFAULT_TABLES, Env, get_settings
from tests.service.conftest import Call, new_instance, scan
from tests.service.test_links_api import create

KEYS = DEFAULT_TABLES[Env.KEYS_TABLE]
LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]


def cancel(*codes: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": c} for c in codes],
        },
        "TransactWriteItems",
    )


def fail_transactions(*errors: ClientError) -> list[ClientError]:
    """The next claim transactions fail with ``errors``, in order; later ones go through."""
    pending = list(errors)

    def maybe_fail(**_: Any) -> None:
        if pending:
            raise pending.pop(0)

    clients.dynamodb().meta.events.register("before-call.dynamodb.TransactWriteItems", maybe_fail)
    return pending


def pool_keys(dynamodb: Any) -> set[str]:
    return {i["key"]["S"] for i in scan(dynamodb, KEYS) if int(i["shard"]["N"]) >= 0}


@pytest.fixture
def refills(monkeypatch: pytest.MonkeyPatch, dynamodb: Any) -> list[dict[str, Any]]:
    """Asynchronous invokes of keygen, recorded instead of sent."""
    monkeypatch.setenv(Env.KEYGEN_FUNCTION, "snip-keygen")
    new_instance()
    sent: list[dict[str, Any]] = []

    class Lambda:
        def invoke(self, **kwargs: Any) -> dict[str, Any]:
            sent.append(kwargs)
            return {"StatusCode": 202}

    monkeypatch.setattr(clients, "lambda_", lambda: Lambda())
    return sent


@pytest.mark.usefixtures("filled_pool")
class TestClaim:
    def test_claim_moves_the_key_from_pool_to_links(self, call: Call, dynamodb: Any) -> None:
        before = pool_keys(dynamodb)
        key = create(call)["key"]
        assert key in before
        assert key not in pool_keys(dynamodb)
        assert len(pool_keys(dynamodb)) == len(before) - 1

    def test_one_transaction_per_create_and_one_query_per_ten(
        self, call: Call, requests_made: list[str]
    ) -> None:
        for _ in range(20):
            create(call)
        assert requests_made.count("TransactWriteItems") == 20
        assert requests_made.count("Query") <= 4  # candidate loads (a slice may wrap around)
        assert len(requests_made) / 20 <= 1.2

    @pytest.mark.parametrize("codes", [("ConditionalCheckFailed", "None"), ("TransactionConflict", "None")])
    def test_a_key_taken_by_another_instance_is_skipped(
        self, call: Call, dynamodb: Any, codes: tuple[str, str]
    ) -> None:
        fail_transactions(cancel(*codes))
        reply = call("POST", "/links", body={"url": "https://e.com"})
        assert reply.status == 201
        key = reply.json["key"]
        assert {i["key"]["S"] for i in scan(dynamodb, LINKS)} == {key}

    def test_a_stale_pool_key_already_used_by_a_link_is_removed(
        self, call: Call, dynamodb: Any, requests_made: list[str]
    ) -> None:
        environment.pool().warm()
        stale = set(environment.pool().candidates)
        fail_transactions(cancel("None", "ConditionalCheckFailed"))
        assert call("POST", "/links", body={"url": "https://e.com"}).status == 201
        assert "DeleteItem" in requests_made
        assert len(stale - pool_keys(dynamodb)) == 2  # the stale one, and the one claimed

    def test_throttling_inside_the_transaction_is_503_and_writes_nothing(
        self, call: Call, dynamodb: Any
    ) -> None:
        before = pool_keys(dynamodb)
        fail_transactions(cancel("ThrottlingError", "None"))
        reply = call("POST", "/links", body={"url": "https://e.com"})
        assert (reply.status, reply.error_code) == (503, "service_unavailable")
        assert reply.headers["Retry-After"] == "1"
        assert scan(dynamodb, LINKS) == []
        assert pool_keys(dynamodb) == before

    def test_when_every_candidate_conflicts_the_key_is_generated_inline(
        self, call: Call, dynamodb: Any, refills: list[dict[str, Any]]
    ) -> None:
        fail_transactions(*[cancel("ConditionalCheckFailed", "None")] * 4)
        reply = call("POST", "/links", body={"url": "https://e.com"})
        assert reply.status == 201
        assert reply.json["key"] not in pool_keys(dynamodb)
        assert len(refills) == 1


class TestEmptyPool:
    def test_an_empty_pool_never_fails_a_create(
        self, call: Call, dynamodb: Any, refills: list[dict[str, Any]], requests_made: list[str]
    ) -> None:
        reply = call("POST", "/links", body={"url": "https://e.com"})
        assert reply.status == 201
        # every shard looked at (a slice reads in up to two parts), then the conditional put
        assert requests_made[-1] == "PutItem"
        assert set(requests_made[:-1]) == {"Query"}
        assert len(requests_made) <= 2 * get_settings().pool_shards + 1
        (invoke,) = refills
        assert invoke["FunctionName"] == "snip-keygen"
        assert invoke["InvocationType"] == "Event"
        assert json.loads(invoke["Payload"]) == environment.REFILL_EVENT

    def test_refill_requests_are_rate_limited_per_instance(
        self, call: Call, refills: list[dict[str, Any]]
    ) -> None:
        for _ in range(5):
            assert call("POST", "/links", body={"url": "https://e.com"}).status == 201
        assert len(refills) == 1

    def test_a_refill_request_that_fails_does_not_fail_the_create(
        self, call: Call, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv(Env.KEYGEN_FUNCTION, "snip-keygen")
        new_instance()

        class Broken:
            def invoke(self, **_: Any) -> None:
                raise RuntimeError("lambda is down")

        monkeypatch.setattr(clients, "lambda_", lambda: Broken())
        assert call("POST", "/links", body={"url": "https://e.com"}).status == 201

    def test_inline_keys_go_through_the_same_conditional_put(self, dynamodb: Any) -> None:
        dynamodb.put_item(TableName=LINKS, Item={"key": {"S": "Taken12"}})
        generated = iter(["Taken12", "Fresh12"])
        pool = KeyPool(
            environment.key_pool_table(),
            environment.link_creation(),
            get_settings(),
            lambda: None,
            generate=lambda _: next(generated),
        )
        claim = pool.claim(lambda key: Link(key, url="https://e.com", owner="o"))
        assert (claim.key, claim.fallback, claim.conflicts) == ("Fresh12", True, 1)

    def test_a_generator_that_keeps_colliding_gives_503_not_a_duplicate(self, dynamodb: Any) -> None:
        dynamodb.put_item(TableName=LINKS, Item={"key": {"S": "Taken12"}})
        pool = KeyPool(
            environment.key_pool_table(),
            environment.link_creation(),
            get_settings(),
            lambda: None,
            generate=lambda _: "Taken12",
        )
        with pytest.raises(DependencyUnavailable):
            pool.claim(lambda key: Link(key, url="https://e.com", owner="o"))


def test_refill_request_interval_uses_the_clock(dynamodb: Any) -> None:
    now = [100.0]
    asked: list[int] = []
    pool = KeyPool(
        environment.key_pool_table(),
        environment.link_creation(),
        get_settings(),
        lambda: asked.append(1),
        monotonic=lambda: now[0],
    )
    pool.ask_for_refill()
    pool.ask_for_refill()
    now[0] += get_settings().refill_request_interval
    pool.ask_for_refill()
    assert len(asked) == 2


def test_candidates_are_a_random_slice_of_one_shard(dynamodb: Any, filled_pool: None) -> None:
    pool = KeyPool(environment.key_pool_table(), environment.link_creation(), get_settings(), lambda: None)
    pool.warm()
    shards = {shard_of(k, get_settings().pool_shards) for k in pool.candidates}
    assert len(shards) == 1
    assert 0 < len(pool.candidates) <= get_settings().candidates


def test_an_empty_shard_sends_the_claimer_to_the_next_one(dynamodb: Any) -> None:
    from tests.service.test_keygen import seed_shard

    seed_shard(dynamodb, 1, 5)  # shard 0 is empty
    asked: list[int] = []
    pool = KeyPool(
        environment.key_pool_table(), environment.link_creation(), get_settings(), lambda: asked.append(1)
    )
    for _ in range(5):
        claim = pool.claim(lambda key: Link(key, url="https://e.com", owner="o"))
        assert not claim.fallback
    assert asked  # the slices came back short: keygen was asked to refill
