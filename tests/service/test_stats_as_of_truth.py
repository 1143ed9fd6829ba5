"""GET /links/{key}/stats: ``as_of`` is where the visit pipeline really stands (issue 19.5), read
from the aggregator's progress per shard: a shard that keeps failing holds it back however long it
retries, and counts the link's visits from its counters item and its own item alike."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from snip.data import clients
from snip.data.rollups_table import RollupsTable
from snip.domain.stats import BEHIND, OK, ShardProgress
from snip.settings import DEFAULT_TABLES, Env
from tests.service.conftest import Call

pytestmark = pytest.mark.usefixtures("filled_pool")
ROLLUPS = DEFAULT_TABLES[Env.ROLLUPS_TABLE]


def as_of(call: Call, key: str) -> float:
    reply = call("GET", f"/links/{key}/stats")
    assert reply.status == 200, reply.body
    return datetime.strptime(reply.json["as_of"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def test_as_of_waits_for_a_failing_shard_and_moves_when_it_is_counted(call: Call, dynamodb: Any) -> None:
    key = call("POST", "/links", body={"url": "https://example.com/"}).json["key"]
    table = RollupsTable(clients.dynamodb(), ROLLUPS)
    now = time.time()
    assert abs(as_of(call, key) - (now - 5)) <= 2  # nothing waiting but puts in flight
    stuck_at = now - 3_600  # a batch failing for an hour, retried all along
    table.record_progress("shard-a", ShardProgress("shard-a", BEHIND, stuck_at, now - 1))
    table.record_progress("shard-b", ShardProgress("shard-b", OK, now - 3, now - 1))
    assert as_of(call, key) == int(stuck_at) - 5  # never now minus a constant
    table.record_progress("shard-a", ShardProgress("shard-a", OK, now - 2, now - 1))
    assert abs(as_of(call, key) - (now - 3 - 5)) <= 1


def test_a_links_counts_add_its_counters_item_to_what_its_item_holds(call: Call, dynamodb: Any) -> None:
    """A link counted by an earlier aggregator keeps those counts on its own item; what is
    counted now is on its counters item: GET /links/{key} and the listing show both."""
    key = call("POST", "/links", body={"url": "https://example.com/"}).json["key"]
    links = DEFAULT_TABLES[Env.LINKS_TABLE]
    dynamodb.update_item(
        TableName=links,
        Key={"key": {"S": key}},
        UpdateExpression="SET visits = :v, last_visit_at = :at",
        ExpressionAttributeValues={":v": {"N": "4"}, ":at": {"S": "2030-01-31T10:00:00Z"}},
    )
    dynamodb.put_item(
        TableName=ROLLUPS,
        Item={
            "key": {"S": key},
            "bucket": {"S": "link"},
            "visits": {"N": "3"},
            "bot_visits": {"N": "2"},
            "l#shard-a": {"S": "2030-01-31T11:00:00Z"},
        },
    )
    shown = call("GET", f"/links/{key}").json
    assert (shown["visits"], shown["bot_visits"], shown["last_visit_at"]) == (7, 2, "2030-01-31T11:00:00Z")
    (listed,) = [link for link in call("GET", "/links").json["links"] if link["key"] == key]
    assert listed["visits"] == 7
