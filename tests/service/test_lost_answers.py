"""A write DynamoDB carried out whose answer was lost: the state and the answer of a clean run.

Each test runs the same request three ways: clean (``lost=0``), with the first attempt's answer
lost so that botocore's own retry sends it again (``lost=1``), and with every attempt's answer
lost so that the SDK gives up and our own code decides (``lost=3``). The faults act inside the
SDK's retry loop (``faults.LostAnswers``), and every case asserts the same status, body and items.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from snip.data import clients
from snip.data.link_creation import LinkCreation
from snip.data.links_table import LinksTable
from snip.data.visits_table import VisitsTable
from snip.domain.link import Link
from snip.domain.visit_events import VisitEvent
from snip.operations.follow_link import RedirectTables, Visit, visit_event
from snip.settings import DEFAULT_TABLES, Env
from tests.service.conftest import BASE_URL, Call, scan
from tests.service.sdk_faults import SDK_ATTEMPTS, LostAnswers
from tests.service.visits_table_setup import VISITS, visit_events

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
KEYS = DEFAULT_TABLES[Env.KEYS_TABLE]
IDEMPOTENCY = DEFAULT_TABLES[Env.IDEMPOTENCY_TABLE]
ROLLUPS = DEFAULT_TABLES[Env.ROLLUPS_TABLE]
LOST = pytest.mark.parametrize("lost", [0, 1, SDK_ATTEMPTS], ids=["clean", "sdk-retry", "sdk-gave-up"])
URL = "https://example.com/once"


def lose(operation: str, lost: int, *, table: str = LINKS, **kwargs: Any) -> LostAnswers:
    return LostAnswers(clients.dynamodb(), operation, table=table, attempts=lost, **kwargs)


def links(dynamodb: Any) -> dict[str, dict[str, Any]]:
    return {item["key"]["S"]: item for item in scan(dynamodb, LINKS)}


def counter(dynamodb: Any, key: str, name: str) -> int:
    """A link's count on its counters item (a link with max_visits is counted there)."""
    found = dynamodb.get_item(TableName=ROLLUPS, Key={"key": {"S": key}, "bucket": {"S": "link"}})
    return int(found.get("Item", {}).get(name, {"N": "0"})["N"])


def created_body(key: str, created_at: str) -> dict[str, Any]:
    """What a clean create of ``{"url": URL}`` answers."""
    return {
        "key": key,
        "short_url": f"{BASE_URL}/{key}",
        "url": URL,
        "created_at": created_at,
        "expires_at": None,
        "max_visits": None,
        "redirect_status": 302,
        "tags": [],
        "title": None,
        "notes": None,
        "rules": [],
        "split": [],
        "forward_query": False,
        "visits": 0,
    }


def create(call: Call, **body: Any) -> str:
    reply = call("POST", "/links", body={"url": URL, **body})
    assert reply.status == 201, reply.body
    return str(reply.json["key"])


# -- creates ---------------------------------------------------------------------------------
@LOST
def test_aliased_create(call: Call, dynamodb: Any, lost: int) -> None:
    faults = lose("PutItem", lost)
    reply = call("POST", "/links", body={"url": URL, "alias": "mine"})
    assert len(faults.lost) == lost
    assert reply.status == 201, reply.body
    assert reply.json == created_body("mine", reply.json["created_at"])
    assert list(links(dynamodb)) == ["mine"]


@LOST
def test_aliased_create_with_an_idempotency_key(call: Call, dynamodb: Any, lost: int) -> None:
    # With an Idempotency-Key the link is written with its key in the record: one transaction.
    faults = lose("TransactWriteItems", lost)
    headers = {"Idempotency-Key": "alias-once"}
    reply = call("POST", "/links", body={"url": URL, "alias": "mine"}, headers=headers)
    assert len(faults.lost) == lost
    assert reply.status == 201, reply.body
    replay = call("POST", "/links", body={"url": URL, "alias": "mine"}, headers=headers)
    assert (replay.status, replay.json) == (201, reply.json)
    assert list(links(dynamodb)) == ["mine"]


@LOST
@pytest.mark.usefixtures("filled_pool")
def test_create_claiming_a_pool_key(call: Call, dynamodb: Any, lost: int) -> None:
    pool_before = {item["key"]["S"] for item in scan(dynamodb, KEYS)}
    faults = lose("TransactWriteItems", lost)
    reply = call("POST", "/links", body={"url": URL})
    assert len(faults.lost) == lost
    assert reply.status == 201, reply.body
    key = reply.json["key"]
    assert reply.json == created_body(key, reply.json["created_at"])
    assert list(links(dynamodb)) == [key]
    assert {item["key"]["S"] for item in scan(dynamodb, KEYS)} == pool_before - {key}


@LOST
def test_create_with_a_key_generated_on_the_spot(call: Call, dynamodb: Any, lost: int) -> None:
    assert scan(dynamodb, KEYS) == []  # no pool: the key is generated inline, one PutItem
    faults = lose("PutItem", lost)
    reply = call("POST", "/links", body={"url": URL})
    assert len(faults.lost) == lost
    assert reply.status == 201, reply.body
    key = reply.json["key"]
    assert reply.json == created_body(key, reply.json["created_at"])
    assert list(links(dynamodb)) == [key]


@LOST
@pytest.mark.usefixtures("filled_pool")
def test_idempotency_record_put(call: Call, dynamodb: Any, lost: int) -> None:
    faults = lose("PutItem", lost, table=IDEMPOTENCY)
    headers = {"Idempotency-Key": "put-once"}
    reply = call("POST", "/links", body={"url": URL}, headers=headers)
    assert len(faults.lost) == lost
    assert reply.status == 201, reply.body
    assert list(links(dynamodb)) == [reply.json["key"]]
    replay = call("POST", "/links", body={"url": URL}, headers=headers)
    assert (replay.status, replay.json) == (201, reply.json)
    assert [item["status"]["S"] for item in scan(dynamodb, IDEMPOTENCY)] == ["COMPLETED"]


@LOST
@pytest.mark.usefixtures("filled_pool")
def test_idempotency_record_completion(call: Call, dynamodb: Any, lost: int) -> None:
    faults = lose("UpdateItem", lost, table=IDEMPOTENCY)
    headers = {"Idempotency-Key": "complete-once"}
    reply = call("POST", "/links", body={"url": URL}, headers=headers)
    assert len(faults.lost) == lost
    assert reply.status == 201, reply.body
    replay = call("POST", "/links", body={"url": URL}, headers=headers)
    assert (replay.status, replay.json) == (201, reply.json)
    assert list(links(dynamodb)) == [reply.json["key"]]
    assert [item["status"]["S"] for item in scan(dynamodb, IDEMPOTENCY)] == ["COMPLETED"]


# -- visits ----------------------------------------------------------------------------------
BOT = "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)"
# A link with max_visits is counted on its counters item (rollups table), with its event, in one
# TransactWriteItems (which these tests lose answers of); every other link's visits are events
# alone (tests/service/test_visit_events_path.py).
LIMIT = 1000
VISIT = "TransactWriteItems"


def lose_visit(lost: int, **kwargs: Any) -> LostAnswers:
    return lose(VISIT, lost, table=ROLLUPS, **kwargs)


def lose_lookup(attempts: int) -> LostAnswers:
    """The consistent GetItem of the visit's event that decides a visit whose answers were lost."""
    return LostAnswers(clients.dynamodb(), "GetItem", table=VISITS, attempts=attempts, applied=False)


def counted_link(call: Call) -> str:
    """A link whose visits are counted by the redirect (max_visits)."""
    return create(call, max_visits=LIMIT)


def events_of(dynamodb: Any, key: str) -> list[dict[str, Any]]:
    return [event for event in visit_events(dynamodb) if event["key"] == key]


@LOST
@pytest.mark.parametrize(("agent", "counted"), [("Mozilla/5.0", "visits"), (BOT, "bot_visits")])
@pytest.mark.usefixtures("filled_pool")
def test_a_visit_counts_once(call: Call, dynamodb: Any, lost: int, agent: str, counted: str) -> None:
    key = counted_link(call)
    faults = lose_visit(lost)
    reply = call("GET", f"/{key}", api_key_id=None, headers={"User-Agent": agent})
    assert len(faults.lost) == lost
    assert (reply.status, reply.headers["Location"]) == (302, URL)
    assert (counter(dynamodb, key, "visits"), counter(dynamodb, key, "bot_visits")) == (
        int(counted == "visits"),
        int(counted == "bot_visits"),
    )
    (event,) = events_of(dynamodb, key)  # one event, never two
    assert (event["counted"], event["bot"], event["user_agent"]) == (True, counted == "bot_visits", agent)


@LOST
@pytest.mark.usefixtures("filled_pool")
def test_the_only_visit_of_a_one_time_link_redirects(call: Call, dynamodb: Any, lost: int) -> None:
    key = create(call, max_visits=1)
    faults = lose_visit(lost)
    reply = call("GET", f"/{key}", api_key_id=None)
    assert len(faults.lost) == lost
    assert (reply.status, reply.headers.get("Location")) == (302, URL), reply.body
    assert counter(dynamodb, key, "visits") == 1
    assert call("GET", f"/{key}", api_key_id=None).status == 410
    assert len(events_of(dynamodb, key)) == 1  # the 410 wrote none


@pytest.mark.parametrize("lost", [1, SDK_ATTEMPTS], ids=["sdk-retry", "sdk-gave-up"])
@pytest.mark.usefixtures("filled_pool")
def test_other_visitors_between_the_attempts_do_not_make_it_count_twice(
    call: Call, dynamodb: Any, lost: int
) -> None:
    key = counted_link(call)
    others: list[int] = []

    def another_visitor() -> None:
        others.append(call("GET", f"/{key}", api_key_id=None).status)

    lose_visit(lost, between=another_visitor)
    assert call("GET", f"/{key}", api_key_id=None).status == 302
    assert others == [302] * lost
    assert counter(dynamodb, key, "visits") == 1 + lost
    assert len(events_of(dynamodb, key)) == 1 + lost


@pytest.mark.usefixtures("filled_pool")
def test_a_visit_whose_sdk_attempts_never_reached_dynamodb_is_sent_once_more(
    call: Call, dynamodb: Any
) -> None:
    key = counted_link(call)
    faults = lose_visit(SDK_ATTEMPTS, applied=False)
    reply = call("GET", f"/{key}", api_key_id=None)
    assert len(faults.lost) == SDK_ATTEMPTS
    assert reply.status == 302  # the lookup found it uncounted and the link live: sent again
    assert counter(dynamodb, key, "visits") == 1
    assert len(events_of(dynamodb, key)) == 1


@pytest.mark.usefixtures("filled_pool")
def test_a_visit_that_never_reached_dynamodb_is_503_and_not_counted(call: Call, dynamodb: Any) -> None:
    key = counted_link(call)
    faults = lose_visit(2 * SDK_ATTEMPTS, applied=False)
    reply = call("GET", f"/{key}", api_key_id=None)
    assert len(faults.lost) == 2 * SDK_ATTEMPTS
    assert reply.status == 503
    assert counter(dynamodb, key, "visits") == 0
    assert events_of(dynamodb, key) == []


@pytest.mark.usefixtures("filled_pool")
def test_a_spent_link_whose_every_answer_is_lost_answers_410(call: Call, dynamodb: Any) -> None:
    key = create(call, max_visits=1)
    assert call("GET", f"/{key}", api_key_id=None).status == 302
    lose_visit(SDK_ATTEMPTS, applied=False)
    assert call("GET", f"/{key}", api_key_id=None).status == 410  # as a clean run answers
    assert counter(dynamodb, key, "visits") == 1
    assert len(events_of(dynamodb, key)) == 1


def _conflict_once(client: Any) -> list[str]:
    """The next visit transaction is cancelled by another one on the same link (moto never
    conflicts): nothing written, TransactionConflict in its reasons."""
    seen: list[str] = []

    def before_call(model: Any, **_: Any) -> None:
        if model.name != VISIT or seen:
            return
        seen.append(model.name)
        raise ClientError(
            {
                "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                "CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}],
                "ResponseMetadata": {"HTTPStatusCode": 400},
            },
            VISIT,
        )

    client.meta.events.register_first("before-call.dynamodb", before_call)
    return seen


@pytest.mark.usefixtures("filled_pool")
def test_a_visit_cancelled_by_a_conflict_is_sent_again(call: Call, dynamodb: Any) -> None:
    from snip.execution import environment

    key = counted_link(call)
    pauses: list[float] = []
    environment.redirect_tables().limited.sleep = pauses.append
    seen = _conflict_once(clients.dynamodb())
    assert call("GET", f"/{key}", api_key_id=None).status == 302
    assert seen == [VISIT]
    assert len(pauses) == 1
    assert counter(dynamodb, key, "visits") == 1
    assert len(events_of(dynamodb, key)) == 1


def at_second(second: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_limited_links_visits_leave_no_markers(dynamodb: Any) -> None:
    """The count's item carries no visit markers (the event is the marker): after many visits it
    is as small as after one, and a repeat of a visit counts nothing and writes no second event."""
    table = LinksTable(clients.dynamodb(), LINKS)
    store = RedirectTables.over(table, VisitsTable(clients.dynamodb(), VISITS))
    LinkCreation(table, KEYS).put_link(
        Link("Marked1", url=URL, owner="o", redirect_status=302, max_visits=99)
    )

    def visit(second: int, request_id: str) -> None:
        link, _ = store.memory.remembered_link("Marked1")
        assert link is not None
        store.limited.record_visit(link, at_second(second), event_for(link, request_id))

    def counters_item() -> dict[str, Any]:
        key = {"key": {"S": "Marked1"}, "bucket": {"S": "link"}}
        return dict(dynamodb.get_item(TableName=ROLLUPS, Key=key)["Item"])

    visit(1_800_000_000, "first")
    after_one = counters_item()
    for n in range(40):
        visit(1_800_000_001 + n, f"more-{n}")
    after_many = counters_item()
    assert set(after_many) == set(after_one) == {"key", "bucket", "visits", "l#redirect"}
    assert counter(dynamodb, "Marked1", "visits") == 41
    visit(1_800_000_100, "more-3")  # a repeat: CloudFront's retry, or ours
    assert counter(dynamodb, "Marked1", "visits") == 41
    assert len(events_of(dynamodb, "Marked1")) == 41
    assert "recent_visits" not in links(dynamodb)["Marked1"]


def event_for(link: Link, request_id: str) -> VisitEvent:
    from datetime import UTC, datetime

    visit = Visit(request_id, user_agent="Mozilla/5.0")
    return visit_event(link.key, link, visit, datetime(2027, 1, 15, tzinfo=UTC), counted=True)


# -- the owner's changes -----------------------------------------------------------------------
@LOST
@pytest.mark.usefixtures("filled_pool")
def test_patch(call: Call, dynamodb: Any, lost: int) -> None:
    key = create(call)
    faults = lose("UpdateItem", lost)
    reply = call("PATCH", f"/links/{key}", body={"disabled": True, "max_visits": 5})
    assert len(faults.lost) == lost
    assert reply.status == 200, reply.body
    assert (reply.json["disabled"], reply.json["max_visits"]) == (True, 5)
    assert reply.json == call("GET", f"/links/{key}").json


@LOST
@pytest.mark.usefixtures("filled_pool")
def test_delete(call: Call, dynamodb: Any, lost: int) -> None:
    key = create(call)
    faults = lose("TransactWriteItems", lost)  # tombstone, counters frozen, GoneEvent: one transaction
    reply = call("DELETE", f"/links/{key}")
    assert len(faults.lost) == lost
    assert reply.status == 204, reply.body
    tombstone = links(dynamodb)[key]
    assert "deleted_at" in tombstone
    assert "url" not in tombstone
    assert call("GET", f"/links/{key}").status == 404
    assert call("GET", f"/{key}", api_key_id=None).status == 410
    assert call("DELETE", f"/links/{key}").status == 404  # a new request: nothing left to delete


def test_the_sdk_sends_a_call_at_most_sdk_attempts_times(dynamodb: Any) -> None:
    assert clients.dynamodb().meta.config.retries == {"mode": "standard", "total_max_attempts": SDK_ATTEMPTS}


@pytest.mark.usefixtures("filled_pool")
def test_a_counted_visit_nobody_can_confirm_is_503(call: Call, dynamodb: Any) -> None:
    """What is left: every answer lost and the lookup failing too. The visit was counted once;
    the client is told to retry (a new request, counted as a new visit)."""
    key = counted_link(call)
    lose_visit(2 * SDK_ATTEMPTS)  # the SDK's attempts and our one more send
    lookup = lose_lookup(2 * SDK_ATTEMPTS)
    assert call("GET", f"/{key}", api_key_id=None).status == 503
    assert len(lookup.lost) == 2 * SDK_ATTEMPTS
    assert counter(dynamodb, key, "visits") == 1


@pytest.mark.usefixtures("filled_pool")
def test_a_counted_visit_whose_lookup_fails_is_confirmed_by_sending_it_once_more(
    call: Call, dynamodb: Any
) -> None:
    key = counted_link(call)
    lose_visit(SDK_ATTEMPTS)
    lose_lookup(SDK_ATTEMPTS)
    assert call("GET", f"/{key}", api_key_id=None).status == 302  # the repeat finds its own event
    assert counter(dynamodb, key, "visits") == 1


@LOST
@pytest.mark.usefixtures("filled_pool")
def test_batch_create(call: Call, dynamodb: Any, lost: int) -> None:
    """A batch's transaction whose answer was lost: its repeat finds the links it wrote (by their
    markers) and answers 201 for each, never 409 and never a second set of links."""
    items = [{"url": URL}, {"url": URL, "alias": "batch-alias"}, {"url": URL}]
    faults = lose("TransactWriteItems", lost)
    reply = call("POST", "/links/batch", body={"links": items})
    assert len(faults.lost) == lost
    assert reply.status == 200, reply.body
    results = reply.json["results"]
    assert [r["status"] for r in results] == [201, 201, 201], results
    keys = {r["link"]["key"] for r in results}
    assert "batch-alias" in keys
    assert set(links(dynamodb)) == keys
    for result in results:
        assert result["link"] == created_body(result["link"]["key"], result["link"]["created_at"])


@pytest.mark.usefixtures("filled_pool")
def test_batch_lost_before_it_was_applied_is_sent_again(call: Call, dynamodb: Any) -> None:
    faults = LostAnswers(
        clients.dynamodb(), "TransactWriteItems", table=LINKS, attempts=SDK_ATTEMPTS, applied=False
    )
    reply = call("POST", "/links/batch", body={"links": [{"url": URL}, {"url": URL}]})
    assert len(faults.lost) == SDK_ATTEMPTS
    assert [r["status"] for r in reply.json["results"]] == [201, 201]
    assert len(links(dynamodb)) == 2
