"""POST /links/batch: each item as POST /links would answer it, in a few transactions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from snip.settings import DEFAULT_TABLES, Env
from tests.service.conftest import Call, scan

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
KEYS = DEFAULT_TABLES[Env.KEYS_TABLE]

pytestmark = pytest.mark.usefixtures("filled_pool")


def batch(call: Call, items: Any, **kwargs: Any) -> Any:
    return call("POST", "/links/batch", body={"links": items}, **kwargs)


def live_links(dynamodb: Any) -> list[dict[str, Any]]:
    return [i for i in scan(dynamodb, LINKS) if "deleted_at" not in i]


def test_mixed_results_in_request_order(call: Call, dynamodb: Any) -> None:
    call("POST", "/links", body={"url": "https://example.com/", "alias": "taken"})
    items = [
        {"url": "https://example.com/1", "tags": ["A"]},
        {"url": "not a url"},
        {"url": "https://example.com/2", "alias": "taken"},
        {"url": "https://example.com/3", "alias": "fresh-one"},
        {"url": "https://example.com/4", "surprise": 1},
        "not an object",
        {"url": "https://example.com/5", "alias": "fresh-one"},  # taken by item 3 of this batch
        {"url": "https://example.com/6", "max_visits": 0},
    ]
    reply = batch(call, items)
    assert reply.status == 200, reply.body
    results = reply.json["results"]
    assert [r["status"] for r in results] == [201, 400, 409, 201, 400, 400, 409, 400]
    assert [r.get("error", {}).get("code") for r in results] == [
        None, "invalid_url", "alias_taken", None, "unknown_field", "invalid_json", "alias_taken",
        "invalid_max_visits",
    ]  # fmt: skip
    assert results[0]["link"]["url"] == "https://example.com/1"
    assert results[0]["link"]["tags"] == ["a"]
    assert results[3]["link"]["key"] == "fresh-one"
    for result in (results[0], results[3]):
        link = result["link"]
        assert call("GET", f"/links/{link['key']}").json["url"] == link["url"]
        assert set(link) == set(call("POST", "/links", body={"url": "https://e.com/"}).json)
    assert len(live_links(dynamodb)) == 1 + 2 + 2  # "taken", two from the batch, two probes


def test_each_item_answers_what_post_links_answers(call: Call) -> None:
    bad = {"url": "https://example.com/", "expires_at": "yesterday"}
    single = call("POST", "/links", body=bad)
    (result,) = batch(call, [bad]).json["results"]
    assert result == {"status": single.status, "error": single.json["error"]}


def test_a_hundred_creates_take_a_few_requests(call: Call, dynamodb: Any, requests_made: list[str]) -> None:
    items = [{"url": f"https://example.com/{i}"} for i in range(98)] + [
        {"url": "https://example.com/a", "alias": "alias-one"},
        {"url": "https://example.com/b", "alias": "alias-two"},
    ]
    requests_made.clear()
    results = batch(call, items).json["results"]
    assert [r["status"] for r in results] == [201] * 100
    keys = [r["link"]["key"] for r in results]
    assert len(set(keys)) == 100
    assert [r["link"]["url"] for r in results] == [i["url"] for i in items]
    assert len(live_links(dynamodb)) == 100
    # One Query of the pool, then transactions of up to 100 actions (a pool claim is two).
    assert requests_made.count("TransactWriteItems") <= 3
    assert len(requests_made) <= 5, requests_made
    assert set(requests_made) <= {"Query", "TransactWriteItems"}


def test_pool_keys_a_batch_claims_leave_the_pool(call: Call, dynamodb: Any) -> None:
    pool_before = {i["key"]["S"] for i in scan(dynamodb, KEYS) if int(i["shard"]["N"]) >= 0}
    keys = {r["link"]["key"] for r in batch(call, [{"url": "https://e.com/"}] * 5).json["results"]}
    pool_after = {i["key"]["S"] for i in scan(dynamodb, KEYS) if int(i["shard"]["N"]) >= 0}
    assert pool_before - pool_after == keys & pool_before
    assert not keys & pool_after


def test_a_claimed_pool_key_is_replaced_and_only_that_item_retried(call: Call, dynamodb: Any) -> None:
    """A pool key another instance took meanwhile: the transaction is cancelled, its reasons name
    the item, which gets another key; the other items are sent again as they were."""
    from snip.execution import environment

    pool = environment.pool()
    pool.warm()
    stolen = pool.candidates[0]
    shard = next(int(i["shard"]["N"]) for i in scan(dynamodb, KEYS) if i["key"]["S"] == stolen)
    dynamodb.delete_item(TableName=KEYS, Key={"shard": {"N": str(shard)}, "key": {"S": stolen}})
    results = batch(call, [{"url": f"https://e.com/{i}"} for i in range(3)]).json["results"]
    assert [r["status"] for r in results] == [201] * 3
    assert stolen not in {r["link"]["key"] for r in results}
    assert len(live_links(dynamodb)) == 3


def test_a_stale_pool_key_already_used_by_a_link_is_discarded(call: Call, dynamodb: Any) -> None:
    from snip.execution import environment

    pool = environment.pool()
    pool.warm()
    used = pool.candidates[0]
    call("POST", "/links", body={"url": "https://e.com/", "alias": used})  # a link holds it now
    results = batch(call, [{"url": "https://e.com/x"}]).json["results"]
    assert results[0]["status"] == 201
    assert results[0]["link"]["key"] != used
    assert used not in {i["key"]["S"] for i in scan(dynamodb, KEYS)}


@pytest.mark.parametrize(
    "body",
    [
        {"links": []},
        {"links": [{"url": "https://e.com/"}] * 101},
        {"links": {"url": "https://e.com/"}},
        {},
        {"links": None},
    ],
)
def test_invalid_batch(call: Call, body: Any) -> None:
    reply = call("POST", "/links/batch", body=body)
    assert (reply.status, reply.error_code) == (400, "invalid_batch"), reply.body


@pytest.mark.parametrize("path", ["/links", "/links/batch"])
def test_an_array_body_is_invalid_json_not_its_first_element(call: Call, dynamodb: Any, path: str) -> None:
    """The Event Handler validated a JSON array's first element as the body: POST /links with
    [{"url": ...}] created a link."""
    reply = call("POST", path, body=[{"url": "https://e.com/"}])
    assert (reply.status, reply.error_code) == (400, "invalid_json")
    assert live_links(dynamodb) == []


def test_unknown_top_level_field(call: Call) -> None:
    reply = call("POST", "/links/batch", body={"links": [{"url": "https://e.com/"}], "x": 1})
    assert (reply.status, reply.error_code) == (400, "unknown_field")


def test_body_limit_is_1_mib_here_and_16_kib_elsewhere(call: Call) -> None:
    url = "https://example.com/" + "a" * 2000
    items = [{"url": url}] * 100  # ~200 KB: over 16 KiB, under 1 MiB
    reply = batch(call, items)
    assert reply.status == 200, reply.body[:200]
    assert call("POST", "/links", body={"url": url, "alias": "x" * 20 + "a" * 17000}).status == 413
    huge = json.dumps({"links": [{"url": url}] * 100, "pad": "x" * (1024 * 1024)})
    reply = call("POST", "/links/batch", body=huge)
    assert (reply.status, reply.error_code) == (413, "body_too_large")


def test_base64_encoded_bodies_are_read(call: Call) -> None:
    """Deployed, binary media types "*/*" hand every body to the function base64-encoded."""
    reply = call("POST", "/links/batch", body={"links": [{"url": "https://e.com/"}]}, base64_body=True)
    assert reply.json["results"][0]["status"] == 201
    reply = call("POST", "/links", body={"url": "https://e.com/", "tags": ["b64"]}, base64_body=True)
    assert (reply.status, reply.json["tags"]) == (201, ["b64"])


class TestIdempotency:
    def test_replay_answers_the_same_results_and_creates_nothing(self, call: Call, dynamodb: Any) -> None:
        items = [{"url": "https://e.com/1"}, {"url": "https://e.com/2", "alias": "once-only"}]
        first = batch(call, items, headers={"Idempotency-Key": "batch-1"})
        count = len(live_links(dynamodb))
        again = batch(call, items, headers={"Idempotency-Key": "batch-1"})
        assert again.status == first.status == 200
        assert again.body == first.body
        assert len(live_links(dynamodb)) == count == 2

    def test_same_key_other_batch_is_a_mismatch(self, call: Call) -> None:
        batch(call, [{"url": "https://e.com/1"}], headers={"Idempotency-Key": "batch-2"})
        reply = batch(call, [{"url": "https://e.com/2"}], headers={"Idempotency-Key": "batch-2"})
        assert (reply.status, reply.error_code) == (422, "idempotency_mismatch")

    def test_keys_are_per_owner(self, call: Call, dynamodb: Any) -> None:
        items = [{"url": "https://e.com/1"}]
        batch(call, items, headers={"Idempotency-Key": "k"}, api_key_id="owner-a")
        batch(call, items, headers={"Idempotency-Key": "k"}, api_key_id="owner-b")
        assert len(live_links(dynamodb)) == 2


class TestDependencyFailures:
    def test_nothing_written_yet_is_a_503_for_the_whole_request(self, call: Call, dynamodb: Any) -> None:
        from snip.data import clients
        from tests.service.sdk_faults import SDK_ATTEMPTS, LostAnswers

        LostAnswers(clients.dynamodb(), "TransactWriteItems", attempts=2 * SDK_ATTEMPTS, applied=False)
        lost_lookups = LostAnswers(clients.dynamodb(), "GetItem", attempts=100, applied=False)
        reply = batch(call, [{"url": "https://e.com/1"}])
        assert (reply.status, reply.error_code) == (503, "service_unavailable")
        assert reply.headers["Retry-After"] == "1"
        assert lost_lookups.lost
        assert live_links(dynamodb) == []

    def test_after_a_first_transaction_the_rest_answer_503_each(
        self, call: Call, dynamodb: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """100 creates take two transactions (pool claims are two actions); the second fails for
        good: the first one's links stand and answer 201, the others 503 each."""
        from snip.data.link_creation import LinkCreation
        from snip.domain.errors import DependencyUnavailable

        real = LinkCreation.create_links
        calls: list[int] = []

        def second_fails(self: LinkCreation, writes: Any, **given: Any) -> list[str]:
            calls.append(len(writes))
            if len(calls) == 2:
                raise DependencyUnavailable("DynamoDB: ThrottlingException")
            return real(self, writes, **given)

        monkeypatch.setattr(LinkCreation, "create_links", second_fails)
        reply = batch(call, [{"url": f"https://e.com/{i}"} for i in range(100)])
        assert reply.status == 200, reply.body
        statuses = [r["status"] for r in reply.json["results"]]
        assert len(calls) == 2
        assert statuses == [201] * calls[0] + [503] * (100 - calls[0])
        assert {r["error"]["code"] for r in reply.json["results"] if r["status"] == 503} == {
            "service_unavailable"
        }
        assert len(live_links(dynamodb)) == calls[0]
