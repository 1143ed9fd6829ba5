"""The aggregator on moto: every visit counted exactly once, however its batches arrive.

Lambda reads each shard in order and delivers again from the first failed record; batches of
different shards come in any order, and a batch seen before may come again out of order. Each
link's hours and its counters item are written with plain conditional updates, each with its own
watermark per shard (snip.data.rollups_table).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from snip.data.item_codec import from_item
from snip.data.rollups_table import RollupsTable, counts_of, position, shard_tag
from snip.data.visit_archive import FolderArchive, NoArchive
from snip.domain.link import Link
from snip.domain.stats import with_counts
from snip.operations.visit_counting import aggregate
from snip.settings import DEFAULT_TABLES, Env
from snip_local import moto_transactions
from tests.visits import (
    CHROME_WINDOWS,
    DESTINATIONS,
    SAFARI_IPHONE,
    SLACKBOT,
    TARGET_TAG,
    put_events,
    stream_record,
    visit,
)
from visit_classes import classify  # functions/aggregate: on the path by tests/service/conftest.py

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
VISITS = DEFAULT_TABLES[Env.VISITS_TABLE]
ROLLUPS = DEFAULT_TABLES[Env.ROLLUPS_TABLE]


@pytest.fixture
def store(dynamodb: Any) -> Iterator[RollupsTable]:
    # moto copies every table a transaction touches once per item; the local stack's patch keeps
    # copies of the touched items only (snip_local.moto_transactions), and so does this test.
    moto_transactions.install()
    yield RollupsTable(dynamodb, ROLLUPS)
    moto_transactions.uninstall()


def add_link(client: Any, key: str, **extra: Any) -> None:
    item = {"key": {"S": key}, "owner": {"S": "local"}, "url": {"S": "https://example.com/"}}
    item["visits"] = {"N": "0"}
    item["bot_visits"] = {"N": "0"}
    for name, value in extra.items():
        item[name] = {"N": str(value)} if isinstance(value, int) else {"S": value}
    client.put_item(TableName=LINKS, Item=item)


def link(client: Any, key: str) -> dict[str, Any]:
    """The link's counts as the API shows them: its own item's (earlier versions') plus its
    counters item's."""
    found = client.get_item(TableName=LINKS, Key={"key": {"S": key}}).get("Item")
    stored = from_item(found) if found else {}
    old = Link(
        key,
        visits=stored.get("visits", 0),
        bot_visits=stored.get("bot_visits", 0),
        last_visit_at=stored.get("last_visit_at"),
    )
    counters = rollup(client, key, "link")
    merged = with_counts(old, counts_of(counters) if counters else None)
    return {"visits": merged.visits, "bot_visits": merged.bot_visits, "last_visit_at": merged.last_visit_at}


def day(client: Any, key: str, date: str = "2030-01-31") -> dict[str, int]:
    """A day's numbers: the sum of its hour items (stats sum them so)."""
    found = client.query(
        TableName=ROLLUPS,
        KeyConditionExpression="#k = :k AND begins_with(#b, :h)",
        ExpressionAttributeNames={"#k": "key", "#b": "bucket"},
        ExpressionAttributeValues={":k": {"S": key}, ":h": {"S": f"h#{date}"}},
        ConsistentRead=True,
    )["Items"]
    total: dict[str, int] = {}
    for item in map(from_item, found):
        for name, value in item.items():
            if isinstance(value, int) and (name in ("visits", "bot_visits") or ":" in name):
                total[name] = total.get(name, 0) + value
    return total


def sent(n: int) -> str:
    """Where visit ``n`` of a link with rules and a split went (tests.visits.DESTINATIONS)."""
    return DESTINATIONS[n % len(DESTINATIONS)]


def destinations(client: Any, key: str, visits: int, date: str = "2030-01-31") -> dict[str, int]:
    """The day's human visits by destination, as stats read them: each rule's or variant's count,
    the url the rest; and what ``visits`` numbered 0.. sent by ``sent`` should give."""
    numbers = day(client, key, date)
    found = {name[2:].split("@")[0]: value for name, value in numbers.items() if name.startswith("t:")}
    found["default"] = numbers.get("visits", 0) - sum(found.values())
    expected = dict.fromkeys(DESTINATIONS, 0)
    for n in range(visits):
        expected[sent(n)] += 1
    assert found == expected, (found, expected)
    return found


def rollup(client: Any, key: str, bucket: str) -> dict[str, Any]:
    found = client.get_item(TableName=ROLLUPS, Key={"key": {"S": key}, "bucket": {"S": bucket}})
    return from_item(found.get("Item", {}))


def records_for(client: Any, events: list[Any], first_seq: int = 0) -> list[dict[str, Any]]:
    put_events(client, VISITS, events)
    return [stream_record(event, first_seq + n) for n, event in enumerate(events)]


SHARD = "shardId-00000001900000000000-00000001"
OTHER_SHARD = "shardId-00000001900000000000-00000002"


def run(records: list[dict[str, Any]], store: Any, archive: Any = None, shard: str = SHARD) -> Any:
    return aggregate(records, shard, classify, store, archive or NoArchive())


def watermark(client: Any, key: str, shard: str = SHARD, hour: str = "h#2030-01-31T12") -> str:
    """The highest sequence number of ``shard`` counted into the link's ``hour``."""
    return str(rollup(client, key, hour).get("n#" + shard_tag(shard), ""))


def test_a_batch_becomes_rollups_and_link_counters(dynamodb: Any, store: RollupsTable) -> None:
    add_link(dynamodb, "AbC1234")
    events = [
        visit("AbC1234", 0, at="2030-01-31T12:05:00.000Z", referrer="news.example.com", country="DE"),
        visit("AbC1234", 1, at="2030-01-31T12:59:59.999Z", user_agent=SAFARI_IPHONE, source="qr"),
        visit("AbC1234", 2, at="2030-01-31T13:00:00.000Z", user_agent=SAFARI_IPHONE, country="FR"),
        visit("AbC1234", 3, at="2030-01-31T13:30:00.000Z", bot=True, user_agent=SLACKBOT),
    ]
    outcome = run(records_for(dynamodb, events), store)
    assert (outcome.counted, outcome.repeated, outcome.failed) == (4, 0, [])
    hour12 = rollup(dynamodb, "AbC1234", "h#2030-01-31T12")
    assert hour12["visits"] == 2
    assert "bot_visits" not in hour12
    assert hour12["r:news.example.com"] == 1
    assert hour12["r:(direct)"] == 1
    assert hour12["d:desktop"] == 1
    assert hour12["d:mobile"] == 1
    assert hour12["b:Chrome"] == 1
    assert hour12["b:Mobile Safari"] == 1
    assert hour12["o:Windows"] == 1
    assert hour12["o:iOS"] == 1
    assert hour12["s:qr"] == 1
    assert hour12["s:link"] == 1
    hour13 = rollup(dynamodb, "AbC1234", "h#2030-01-31T13")
    assert (hour13["visits"], hour13["bot_visits"]) == (1, 1)
    assert "b:Slackbot" not in str(hour13)  # breakdowns count people only
    summed = day(dynamodb, "AbC1234")
    assert (summed["visits"], summed["bot_visits"], summed["c:DE"], summed["c:FR"]) == (
        3,
        1,
        1,
        1,
    )
    assert rollup(dynamodb, "AbC1234", "d#2030-01-31") == {}  # no day item: a day is its hours
    counted = link(dynamodb, "AbC1234")
    assert (counted["visits"], counted["bot_visits"]) == (3, 1)
    assert counted["last_visit_at"] == "2030-01-31T13:00:00Z"  # the last person, not the bot
    stored = from_item(dynamodb.get_item(TableName=LINKS, Key={"key": {"S": "AbC1234"}})["Item"])
    assert (stored["visits"], stored["bot_visits"]) == (0, 0)  # the link's own item is never written


def test_a_link_visited_once_costs_two_plain_writes(dynamodb: Any, store: RollupsTable) -> None:
    """The long tail: a link visited once in a batch is one UpdateItem of its hour and one of its
    counters, no transaction (and the pipeline's progress twice per batch)."""
    add_link(dynamodb, "Once001")
    calls = requests_sent(dynamodb)
    run(records_for(dynamodb, [visit("Once001", 0)]), store)
    updates = [params["Key"]["bucket"]["S"] for op, params in calls if op == "UpdateItem"]
    assert updates == ["shards", "h#2030-01-31T12", "link", "shards"]
    assert not [op for op, _ in calls if op == "TransactWriteItems"]


def requests_sent(client: Any) -> list[tuple[str, dict[str, Any]]]:
    calls: list[tuple[str, dict[str, Any]]] = []
    for operation in ("UpdateItem", "TransactWriteItems"):
        client.meta.events.register(
            f"provide-client-params.dynamodb.{operation}",
            lambda params, operation=operation, **_: calls.append((operation, dict(params))),
        )
    return calls


def test_a_batch_delivered_twice_counts_once(dynamodb: Any, store: RollupsTable) -> None:
    add_link(dynamodb, "Twice01")
    records = records_for(dynamodb, [visit("Twice01", n, destination=sent(n)) for n in range(30)])
    first, second = run(records, store), run(records, store)
    assert (first.counted, second.counted, second.repeated) == (30, 0, 30)
    assert link(dynamodb, "Twice01")["visits"] == 30
    assert day(dynamodb, "Twice01")["visits"] == 30
    destinations(dynamodb, "Twice01", 30)


def test_destinations_fold_into_the_hours_write(dynamodb: Any, store: RollupsTable) -> None:
    """Where a visit was sent adds no write: a number on the hour item the visit updates anyway,
    ``t:<reason>@<target tag>``, and none at all for a visit sent to the link's url."""
    add_link(dynamodb, "Dest001")
    calls = requests_sent(dynamodb)
    run(records_for(dynamodb, [visit("Dest001", n, destination=sent(n)) for n in range(4)]), store)
    updates = [params["Key"]["bucket"]["S"] for op, params in calls if op == "UpdateItem"]
    assert updates == ["shards", "h#2030-01-31T12", "link", "shards"]
    hour = rollup(dynamodb, "Dest001", "h#2030-01-31T12")
    assert {name: value for name, value in hour.items() if name.startswith("t:")} == {
        f"t:0@{TARGET_TAG}": 1,
        f"t:split:1@{TARGET_TAG}": 1,
        f"t:3@{TARGET_TAG}": 1,
    }
    bot = visit("Dest001", 9, user_agent=SLACKBOT, bot=True, destination="0")
    run(records_for(dynamodb, [bot], first_seq=9), store)
    assert rollup(dynamodb, "Dest001", "h#2030-01-31T12")[f"t:0@{TARGET_TAG}"] == 1  # humans only


def test_duplicates_inside_one_batch_count_once(dynamodb: Any, store: RollupsTable) -> None:
    add_link(dynamodb, "Dupes01")
    records = records_for(dynamodb, [visit("Dupes01", n) for n in range(5)])
    outcome = run(records + records[:3], store)
    assert outcome.counted == 5
    assert link(dynamodb, "Dupes01")["visits"] == 5


def test_a_hot_links_batch_is_one_write_per_item(dynamodb: Any, store: RollupsTable) -> None:
    """1,000 visits of one link over three hours: three hour updates (each with the watermark)
    and one of the counters."""
    add_link(dynamodb, "Big0001")
    hours = ("10", "11", "12")
    events = [visit("Big0001", n, at=f"2030-01-31T{hours[n % 3]}:00:00.000Z") for n in range(1000)]
    calls = requests_sent(dynamodb)
    assert run(records_for(dynamodb, events), store).counted == 1000
    written = [params["Key"]["bucket"]["S"] for op, params in calls if op == "UpdateItem"]
    assert written == ["shards", *(f"h#2030-01-31T{h}" for h in hours), "link", "shards"]
    assert link(dynamodb, "Big0001")["visits"] == 1000
    assert sum(rollup(dynamodb, "Big0001", f"h#2030-01-31T{h}")["visits"] for h in hours) == 1000
    for hour, last in zip(hours, (999, 997, 998), strict=True):  # each hour's last event
        assert watermark(dynamodb, "Big0001", hour=f"h#2030-01-31T{hour}") == position(str(10**20 + last))


def test_more_than_an_update_holds(dynamodb: Any, store: RollupsTable) -> None:
    """400 referrers in one hour (an update names at most 150 numbers) and 120 hours: several
    updates of an hour, in order, each counted once."""
    add_link(dynamodb, "Wide001")
    events = [visit("Wide001", n, referrer=f"r{n}.example") for n in range(400)]
    events += [
        visit("Wide001", 400 + n, at=f"2030-01-{1 + n // 24 % 5:02d}T{n % 24:02d}:00:00.000Z")
        for n in range(120)
    ]
    calls = requests_sent(dynamodb)
    records = records_for(dynamodb, events)
    assert run(records, store).counted == 520
    noon = [params for op, params in calls if params["Key"]["bucket"]["S"] == "h#2030-01-31T12"]
    assert len(noon) >= 3
    assert link(dynamodb, "Wide001")["visits"] == 520
    assert sum(v for k, v in day(dynamodb, "Wide001").items() if k.startswith("r:r")) == 400
    second = run(records, store)
    assert (second.counted, second.repeated) == (0, 520)
    assert link(dynamodb, "Wide001")["visits"] == 520
    assert sum(day(dynamodb, "Wide001", f"2030-01-{d:02d}").get("visits", 0) for d in range(1, 32)) == 520


def test_an_overlapping_redelivery_counts_only_what_is_new(dynamodb: Any, store: RollupsTable) -> None:
    add_link(dynamodb, "Over001")
    records = records_for(dynamodb, [visit("Over001", n) for n in range(30)])
    assert run(records[:20], store).counted == 20
    again = run(records[10:], store)
    assert (again.counted, again.repeated) == (10, 10)
    assert link(dynamodb, "Over001")["visits"] == 30
    assert day(dynamodb, "Over001")["visits"] == 30


def test_a_redelivery_across_hours_counts_only_what_is_new(dynamodb: Any, store: RollupsTable) -> None:
    """Each hour has its watermark: a batch over two hours, one of whose visits came late (an
    earlier hour after a later one, as clocks and queues allow), delivered again in part."""
    add_link(dynamodb, "Hours01")
    events = [
        visit("Hours01", n, at=f"2030-01-31T{12 if n < 10 or n == 20 else 13}:59:00.000Z") for n in range(21)
    ]
    records = records_for(dynamodb, events)
    assert run(records[:15], store).counted == 15
    again = run(records[5:], store)
    assert (again.counted, again.repeated) == (6, 10)
    assert run(records, store).counted == 0
    assert link(dynamodb, "Hours01")["visits"] == 21
    hours = [rollup(dynamodb, "Hours01", f"h#2030-01-31T{h}")["visits"] for h in (12, 13)]
    assert hours == [11, 10]
    assert watermark(dynamodb, "Hours01", hour="h#2030-01-31T12") == position(str(10**20 + 20))
    assert watermark(dynamodb, "Hours01", hour="h#2030-01-31T13") == position(str(10**20 + 19))


class FullItems:
    """moto, except that an update adding a breakdown to the items in ``full`` is refused as
    DynamoDB refuses an item past 400 KB (moto does not): ``ValidationException``. With
    ``counters_too``, adding anything at all is refused; ``room`` names the prefixes of numbers the
    item still has room for."""

    def __init__(
        self, client: Any, full: set[str], counters_too: bool = False, room: tuple[str, ...] = ()
    ) -> None:
        self.client, self.full, self.counters_too, self.room = client, full, counters_too, room

    def update_item(self, **update: Any) -> Any:
        names = update.get("ExpressionAttributeNames", {}).values()
        grows = self.counters_too or any(":" in name and not name.startswith(self.room) for name in names)
        if update["Key"].get("bucket", {}).get("S") in self.full and grows:
            error = {
                "Error": {"Code": "ValidationException", "Message": "Item size has exceeded the maximum"}
            }
            raise ClientError(error, "UpdateItem")  # type: ignore[arg-type]
        return self.client.update_item(**update)


def test_a_full_rollup_keeps_counting_without_new_breakdowns(dynamodb: Any) -> None:
    """Thousands of referrers in an hour could take its item to DynamoDB's 400 KB: it then
    counts visits exactly and takes no new breakdown values."""
    add_link(dynamodb, "Full001")
    store = RollupsTable(FullItems(dynamodb, {"h#2030-01-31T12"}), ROLLUPS)
    events = [visit("Full001", n, referrer=f"r{n}.example", destination=sent(n)) for n in range(6)]
    records = records_for(dynamodb, events)
    assert run(records[:3], store).counted == 3
    assert run(records, store).counted == 3  # the rest, once
    hour = rollup(dynamodb, "Full001", "h#2030-01-31T12")
    assert hour["visits"] == 6
    assert not [name for name in hour if name.startswith("r:")]
    assert link(dynamodb, "Full001")["visits"] == 6
    assert not [name for name in hour if name.startswith("t:")]  # no room even for those


def test_a_full_rollup_keeps_counting_destinations_while_it_has_room(dynamodb: Any) -> None:
    """An item too full for new referrers still takes its destinations (a few numbers, no top 10)."""
    add_link(dynamodb, "Full003")
    store = RollupsTable(FullItems(dynamodb, {"h#2030-01-31T12"}, room=("t:",)), ROLLUPS)
    events = [visit("Full003", n, referrer=f"r{n}.example", destination=sent(n)) for n in range(6)]
    records = records_for(dynamodb, events)
    assert run(records[:3], store).counted == 3
    assert run(records, store).counted == 3
    hour = rollup(dynamodb, "Full003", "h#2030-01-31T12")
    assert not [name for name in hour if name.startswith("r:")]
    destinations(dynamodb, "Full003", 6)


def test_an_item_that_cannot_count_at_all_fails_the_link(dynamodb: Any) -> None:
    add_link(dynamodb, "Full002")
    store = RollupsTable(FullItems(dynamodb, {"h#2030-01-31T12"}, counters_too=True), ROLLUPS)
    records = records_for(dynamodb, [visit("Full002", n) for n in range(2)])
    assert len(run(records, store).failed) == 2  # retried by the mapping, never half counted
    assert link(dynamodb, "Full002")["visits"] == 0


def test_each_shard_has_its_own_watermark(dynamodb: Any, store: RollupsTable) -> None:
    """A link's events spread over shards (events are keyed by request id): a later sequence
    number counted in one shard must not hide an earlier one of another."""
    add_link(dynamodb, "Shard01")
    events = [visit("Shard01", n) for n in range(20)]
    records = records_for(dynamodb, events)
    high, low = records[10:], records[:10]
    assert run(high, store, shard=SHARD).counted == 10
    assert run(low, store, shard=OTHER_SHARD).counted == 10
    assert run(low, store, shard=OTHER_SHARD).counted == 0
    assert link(dynamodb, "Shard01")["visits"] == 20


def test_a_delivery_without_a_shard_is_refused(store: RollupsTable) -> None:
    with pytest.raises(ValueError, match="tumbling window"):
        aggregate([], "", classify, store, NoArchive())


class FailingOnce:
    """A store whose count of ``key`` fails the first time (after counting part of it, if asked)."""

    def __init__(self, store: RollupsTable, key: str, count_first: int = 0) -> None:
        self.store, self.key, self.count_first, self.failed = store, key, count_first, False

    def count(self, key: str, shard: str, visits: list[Any]) -> int:
        if key == self.key and not self.failed:
            self.failed = True
            self.store.count(key, shard, visits[: self.count_first])
            raise RuntimeError("DynamoDB went away mid-batch")
        return self.store.count(key, shard, visits)

    def record_progress(self, shard: str, progress: Any) -> None:
        self.store.record_progress(shard, progress)


def test_a_partial_failure_is_retried_from_the_first_failed_record(
    dynamodb: Any, store: RollupsTable
) -> None:
    for key in ("Part001", "Part002", "Part003"):
        add_link(dynamodb, key)
    events = [visit(("Part001", "Part002", "Part003")[n % 3], n, destination=sent(n // 3)) for n in range(60)]
    records = records_for(dynamodb, events)
    flaky = FailingOnce(store, "Part002", count_first=7)
    first = run(records, flaky)
    failed_from = min(int(seq) for seq in first.failed)
    assert {
        r["dynamodb"]["SequenceNumber"] for r in records if "Part002" in r["dynamodb"]["Keys"]["id"]["S"]
    } == set(first.failed)
    retry = [r for r in records if int(r["dynamodb"]["SequenceNumber"]) >= failed_from]  # as Lambda does
    second = run(retry, flaky)
    assert second.failed == []
    assert second.counted == 20 - 7
    assert [link(dynamodb, key)["visits"] for key in ("Part001", "Part002", "Part003")] == [20, 20, 20]
    for key in ("Part001", "Part002", "Part003"):
        destinations(dynamodb, key, 20)


class CountersFailOnce:
    """moto, but the first update of a counters item fails after the hours were written."""

    def __init__(self, client: Any) -> None:
        self.client, self.failed = client, False

    def update_item(self, **update: Any) -> Any:
        if update["Key"]["bucket"]["S"] == "link" and not self.failed:
            self.failed = True
            raise ClientError({"Error": {"Code": "ThrottlingException"}}, "UpdateItem")  # type: ignore[arg-type]
        return self.client.update_item(**update)


def test_a_failure_between_the_hours_and_the_counters_counts_each_once(dynamodb: Any) -> None:
    """The hours are written, the counters item is not: the redelivery finds the hours counted
    (their watermarks) and counts the rest on the counters item only."""
    add_link(dynamodb, "Split01")
    store = RollupsTable(CountersFailOnce(dynamodb), ROLLUPS)
    events = [
        visit("Split01", n, at=f"2030-01-31T1{n % 2}:00:00.000Z", destination=sent(n)) for n in range(8)
    ]
    records = records_for(dynamodb, events)
    assert len(run(records, store).failed) == 8
    assert day(dynamodb, "Split01")["visits"] == 8
    assert link(dynamodb, "Split01")["visits"] == 0
    again = run(records, store)
    assert (again.failed, again.counted) == ([], 0)  # the hours had them
    assert link(dynamodb, "Split01")["visits"] == 8
    assert day(dynamodb, "Split01")["visits"] == 8
    assert run(records, store).counted == 0
    assert link(dynamodb, "Split01")["visits"] == 8
    destinations(dynamodb, "Split01", 8)


def test_reordered_batches_count_exactly_and_keep_the_latest_visit(
    dynamodb: Any, store: RollupsTable
) -> None:
    """Shards are read independently: a later hour's batch of one shard may come first."""
    add_link(dynamodb, "Order01")
    early = [visit("Order01", n, at=f"2030-01-31T0{n}:00:00.000Z") for n in range(5)]
    late = [visit("Order01", 10 + n, at=f"2030-01-31T1{n}:00:00.000Z") for n in range(5)]
    late_records = records_for(dynamodb, late, first_seq=100)
    early_records = records_for(dynamodb, early)
    run(late_records, store, shard=SHARD)
    run(early_records, store, shard=OTHER_SHARD)
    run(late_records[2:], store, shard=SHARD)  # seen before: may come again, out of order
    run(early_records[:2], store, shard=OTHER_SHARD)
    stored = link(dynamodb, "Order01")
    assert stored["visits"] == 10
    assert stored["last_visit_at"] == "2030-01-31T14:00:00Z"


def test_a_link_with_max_visits_keeps_its_own_counters(dynamodb: Any, store: RollupsTable) -> None:
    """resolve counts a max_visits link atomically (its events say ``counted``); the aggregator
    fills only its rollups, and does not even try the counters."""
    add_link(dynamodb, "Capped1", max_visits=10, visits=4)
    events = [visit("Capped1", n) for n in range(4)]
    events = [dataclasses.replace(event, counted=True) for event in events]
    calls = requests_sent(dynamodb)
    outcome = run(records_for(dynamodb, events), store)
    assert outcome.counted == 4
    assert [p["Key"]["bucket"]["S"] for _, p in calls] == ["shards", "h#2030-01-31T12", "shards"]
    assert link(dynamodb, "Capped1")["visits"] == 4
    assert day(dynamodb, "Capped1")["visits"] == 4


def test_a_limit_set_after_the_visits_does_not_drop_them(dynamodb: Any, store: RollupsTable) -> None:
    """Visits the redirect did not count (a link without max_visits then) are the link's, even
    if its owner sets max_visits before the aggregator gets to them."""
    add_link(dynamodb, "Later01", max_visits=10)  # set after the three redirects below
    outcome = run(records_for(dynamodb, [visit("Later01", n) for n in range(3)]), store)
    assert outcome.counted == 3
    assert link(dynamodb, "Later01")["visits"] == 3
    assert day(dynamodb, "Later01")["visits"] == 3


def test_visits_of_a_link_that_is_gone_still_fill_its_rollups(dynamodb: Any, store: RollupsTable) -> None:
    outcome = run(records_for(dynamodb, [visit("NoLink1", n) for n in range(2)]), store)
    assert outcome.counted == 2
    assert "Item" not in dynamodb.get_item(TableName=LINKS, Key={"key": {"S": "NoLink1"}})
    assert day(dynamodb, "NoLink1")["visits"] == 2


class LostOnce:
    """moto, but the answer of the first update of ``bucket`` is lost after it was applied."""

    def __init__(self, client: Any, bucket: str) -> None:
        self.client, self.bucket, self.lost = client, bucket, False

    def update_item(self, **update: Any) -> Any:
        answer = self.client.update_item(**update)
        if update["Key"]["bucket"]["S"] == self.bucket and not self.lost:
            self.lost = True
            raise ClientError(
                {"Error": {"Code": "InternalServerError"}, "ResponseMetadata": {"HTTPStatusCode": 500}},
                "UpdateItem",
            )
        return answer


@pytest.mark.parametrize("bucket", ["h#2030-01-31T12", "link"])
def test_an_answer_lost_after_the_write_counts_nothing_twice(dynamodb: Any, bucket: str) -> None:
    add_link(dynamodb, "Lost001")
    store = RollupsTable(LostOnce(dynamodb, bucket), ROLLUPS)
    records = records_for(dynamodb, [visit("Lost001", n, destination=sent(n)) for n in range(10)])
    first = run(records, store)
    assert first.failed  # the batch is reported failed: the answer was lost
    run(records, store)
    assert run(records, store).counted == 0
    assert link(dynamodb, "Lost001")["visits"] == 10
    assert day(dynamodb, "Lost001")["visits"] == 10
    destinations(dynamodb, "Lost001", 10)


def test_old_watermarks_of_a_counters_item_are_pruned(dynamodb: Any) -> None:
    """A counters item lives as long as its link while shards come and go: the watermarks of
    shards the stream can no longer deliver (older than its retention) are removed."""
    add_link(dynamodb, "Prune01")
    now = {"t": 1_900_000_000.0}
    store = RollupsTable(dynamodb, ROLLUPS, epoch=lambda: now["t"])
    records = records_for(dynamodb, [visit("Prune01", n) for n in range(12)])
    for n, record in enumerate(records[:10]):
        run([record], store, shard=f"shardId-old-{n:02d}")
    assert len([n for n in rollup(dynamodb, "Prune01", "link") if n.startswith("n#")]) == 10
    now["t"] += 26 * 3600
    run(records[10:], store, shard="shardId-new")
    kept = sorted(n for n in rollup(dynamodb, "Prune01", "link") if n.startswith(("n#", "l#")))
    assert kept == [f"l#{shard_tag('shardId-new')}", f"n#{shard_tag('shardId-new')}"]
    assert link(dynamodb, "Prune01")["visits"] == 12


def test_the_pipelines_progress_is_recorded_per_shard(dynamodb: Any, store: RollupsTable) -> None:
    add_link(dynamodb, "Prog001")
    records = records_for(dynamodb, [visit("Prog001", n) for n in range(3)])
    for n, record in enumerate(records):
        record["dynamodb"]["ApproximateCreationDateTime"] = 1_900_000_000 + n
    run(records, store)
    (progress,) = store.progress()
    assert (progress.shard, progress.state, progress.before) == (SHARD, "ok", 1_900_000_002)
    flaky = FailingOnce(store, "Prog001")
    more = records_for(dynamodb, [visit("Prog001", 10 + n) for n in range(2)], first_seq=10)
    for n, record in enumerate(more):
        record["dynamodb"]["ApproximateCreationDateTime"] = 1_900_000_010 + n
    run(more, flaky)
    (progress,) = store.progress()
    assert (progress.state, progress.before) == ("behind", 1_900_000_010)


def test_an_upgrade_keeps_counting_exactly_across_the_switch(dynamodb: Any, store: RollupsTable) -> None:
    """Items as the transactional aggregator left them (the link's own counters, a day item, hour
    items with its watermark ``w#<shard>``), then this aggregator, with the last batch the old
    one counted delivered again across the switch (and a batch half counted)."""
    add_link(dynamodb, "Upgr001", visits=5, bot_visits=1, last_visit_at="2030-01-31T12:00:04Z")
    add_link(dynamodb, "Upgr002", visits=2)
    events = [visit("Upgr001", n, at=f"2030-01-31T12:00:{n:02d}.000Z", bot=n == 5) for n in range(6)]
    events += [visit("Upgr002", 6 + n, at="2030-01-31T12:30:00.000Z") for n in range(2)]
    old_records = records_for(dynamodb, events)
    last_old = str(10**20 + 7).zfill(40)
    for key, humans, bots, mark in (
        ("Upgr001", 5, 1, str(10**20 + 5).zfill(40)),
        ("Upgr002", 2, 0, last_old),
    ):
        for bucket in ("h#2030-01-31T12", "d#2030-01-31"):
            item = {"key": {"S": key}, "bucket": {"S": bucket}, "visits": {"N": str(humans)}}
            if bots:
                item["bot_visits"] = {"N": str(bots)}
            if bucket.startswith("h#"):
                item["w#" + SHARD] = {"S": mark}
            dynamodb.put_item(TableName=ROLLUPS, Item=item)
    # The switch: the old aggregator's last batch again, with new events of both links after it.
    new = [visit("Upgr001", 20 + n, at="2030-01-31T12:40:00.000Z") for n in range(3)]
    new += [visit("Upgr002", 30, at="2030-01-31T13:05:00.000Z")]
    records = old_records + records_for(dynamodb, new, first_seq=8)
    outcome = run(records, store)
    assert (outcome.counted, outcome.repeated, outcome.failed) == (4, 8, [])
    assert run(records, store).counted == 0  # and once more, after the switch
    first, second = link(dynamodb, "Upgr001"), link(dynamodb, "Upgr002")
    assert (first["visits"], first["bot_visits"], second["visits"]) == (8, 1, 3)
    assert first["last_visit_at"] == "2030-01-31T12:40:00Z"
    assert day(dynamodb, "Upgr001")["visits"] == 8
    assert day(dynamodb, "Upgr002")["visits"] == 3


def test_raw_events_are_written_per_day_and_a_redelivery_replaces_them(
    dynamodb: Any, store: RollupsTable, tmp_path: Path
) -> None:
    add_link(dynamodb, "Raw0001")
    events = [
        visit(
            "Raw0001",
            0,
            at="2030-01-31T23:59:59.000Z",
            user_agent=SAFARI_IPHONE,
            country="DE",
            destination="0",
        ),
        visit("Raw0001", 1, at="2030-02-01T00:00:01.000Z", user_agent=CHROME_WINDOWS),
    ]
    records = records_for(dynamodb, events)
    archive = FolderArchive(tmp_path)
    run(records, store, archive)
    run(records, store, archive)
    files = sorted(tmp_path.rglob("*.jsonl"))
    assert [f.parent.name for f in files] == ["dt=2030-01-31", "dt=2030-02-01"]
    line = files[0].read_text()
    assert line.count("\n") == 1
    assert '"device":"mobile"' in line
    assert '"os":"iOS"' in line
    assert '"country":"DE"' in line
    assert '"destination":"0"' in line  # which rule sent it, never the URL
    assert TARGET_TAG not in line
    assert '"destination":"default"' in files[1].read_text()
    assert "user_agent" not in line
    assert "Mozilla" not in line


def test_links_counted_at_once_count_exactly(dynamodb: Any, store: RollupsTable) -> None:
    """The handler counts a batch's links several at a time: each link exactly once, a failing
    link reported whole, its redelivery counting only what is new."""
    keys = [f"Para{n:03d}" for n in range(12)]
    for key in keys:
        add_link(dynamodb, key)
    events = [visit(keys[n % 12], n, at=f"2030-01-31T1{n % 3}:00:00.000Z") for n in range(120)]
    records = records_for(dynamodb, events)
    flaky = FailingOnce(store, "Para005", count_first=4)
    first = aggregate(records, SHARD, classify, flaky, NoArchive(), workers=4)
    assert len(first.failed) == 10  # Para005's records, whole
    again = aggregate(records, SHARD, classify, flaky, NoArchive(), workers=4)
    assert (again.failed, again.counted) == ([], 6)
    assert [link(dynamodb, key)["visits"] for key in keys] == [10] * 12
    assert sum(day(dynamodb, key)["visits"] for key in keys) == 120
