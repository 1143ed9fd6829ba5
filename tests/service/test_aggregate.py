"""The aggregator on moto: every visit counted exactly once, however its batches arrive.

Lambda reads each shard in order and delivers again from the first failed record; batches of
different shards come in any order, and a batch seen before may come again out of order.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from snip.data.item_codec import from_item
from snip.data.rollups_table import RollupsTable
from snip.data.visit_archive import FolderArchive, NoArchive
from snip.operations.visit_counting import aggregate
from snip.settings import DEFAULT_TABLES, Env
from snip_local import moto_transactions
from tests.visits import (
    CHROME_WINDOWS,
    SAFARI_IPHONE,
    SLACKBOT,
    put_events,
    stream_record,
    visit,
)

AGGREGATE_FOLDER = Path(__file__).resolve().parents[2] / "functions" / "aggregate"
if str(AGGREGATE_FOLDER) not in sys.path:
    sys.path.insert(0, str(AGGREGATE_FOLDER))

from visit_classes import classify  # noqa: E402

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
VISITS = DEFAULT_TABLES[Env.VISITS_TABLE]
ROLLUPS = DEFAULT_TABLES[Env.ROLLUPS_TABLE]


@pytest.fixture
def store(dynamodb: Any) -> Iterator[RollupsTable]:
    # moto copies every table a transaction touches once per item; the local stack's patch keeps
    # copies of the touched items only (snip_local.moto_transactions), and so does this test.
    moto_transactions.install()
    yield RollupsTable(dynamodb, LINKS, ROLLUPS)
    moto_transactions.uninstall()


def add_link(client: Any, key: str, **extra: Any) -> None:
    item = {"key": {"S": key}, "owner": {"S": "local"}, "url": {"S": "https://example.com/"}}
    item["visits"] = {"N": "0"}
    item["bot_visits"] = {"N": "0"}
    for name, value in extra.items():
        item[name] = {"N": str(value)} if isinstance(value, int) else {"S": value}
    client.put_item(TableName=LINKS, Item=item)


def link(client: Any, key: str) -> dict[str, Any]:
    return from_item(client.get_item(TableName=LINKS, Key={"key": {"S": key}})["Item"])


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
    return str(rollup(client, key, hour).get("w#" + shard, ""))


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
    assert hour12["referrers:news.example.com"] == 1
    assert hour12["referrers:(direct)"] == 1
    assert hour12["devices:desktop"] == 1
    assert hour12["devices:mobile"] == 1
    assert hour12["browsers:Chrome"] == 1
    assert hour12["browsers:Mobile Safari"] == 1
    assert hour12["os:Windows"] == 1
    assert hour12["os:iOS"] == 1
    assert hour12["sources:qr"] == 1
    assert hour12["sources:link"] == 1
    hour13 = rollup(dynamodb, "AbC1234", "h#2030-01-31T13")
    assert (hour13["visits"], hour13["bot_visits"]) == (1, 1)
    assert "browsers:Slackbot" not in str(hour13)  # breakdowns count people only
    day = rollup(dynamodb, "AbC1234", "d#2030-01-31")
    assert (day["visits"], day["bot_visits"], day["countries:DE"], day["countries:FR"]) == (3, 1, 1, 1)
    counted = link(dynamodb, "AbC1234")
    assert (counted["visits"], counted["bot_visits"]) == (3, 1)
    assert counted["last_visit_at"] == "2030-01-31T13:00:00Z"  # the last person, not the bot


def test_a_batch_delivered_twice_counts_once(dynamodb: Any, store: RollupsTable) -> None:
    add_link(dynamodb, "Twice01")
    records = records_for(dynamodb, [visit("Twice01", n) for n in range(30)])
    first, second = run(records, store), run(records, store)
    assert (first.counted, second.counted, second.repeated) == (30, 0, 30)
    assert link(dynamodb, "Twice01")["visits"] == 30
    assert rollup(dynamodb, "Twice01", "d#2030-01-31")["visits"] == 30


def test_duplicates_inside_one_batch_count_once(dynamodb: Any, store: RollupsTable) -> None:
    add_link(dynamodb, "Dupes01")
    records = records_for(dynamodb, [visit("Dupes01", n) for n in range(5)])
    outcome = run(records + records[:3], store)
    assert outcome.counted == 5
    assert link(dynamodb, "Dupes01")["visits"] == 5


def test_a_hot_links_batch_is_one_transaction(dynamodb: Any, store: RollupsTable) -> None:
    """1,000 visits of one link over three hours: three hours (each with the watermark), a day, the link."""
    add_link(dynamodb, "Big0001")
    hours = ("10", "11", "12")
    events = [visit("Big0001", n, at=f"2030-01-31T{hours[n % 3]}:00:00.000Z") for n in range(1000)]
    sizes = transaction_sizes(dynamodb)
    assert run(records_for(dynamodb, events), store).counted == 1000
    assert sizes == [5]
    assert link(dynamodb, "Big0001")["visits"] == 1000
    assert sum(rollup(dynamodb, "Big0001", f"h#2030-01-31T{h}")["visits"] for h in hours) == 1000
    for hour in hours:
        assert watermark(dynamodb, "Big0001", hour=f"h#2030-01-31T{hour}") == str(10**20 + 999).zfill(40)


def test_more_than_a_transaction_holds(dynamodb: Any, store: RollupsTable) -> None:
    """400 referrers (a bucket update names at most 150 numbers) and 120 hours (a transaction
    holds at most 100 items): several transactions, in order, each counted once."""
    add_link(dynamodb, "Wide001")
    events = [
        visit(
            "Wide001",
            n,
            at=f"2030-01-{1 + n // 24 % 5:02d}T{n % 24:02d}:00:00.000Z",
            referrer=f"r{n}.example",
        )
        for n in range(400)
    ]
    sizes = transaction_sizes(dynamodb)
    records = records_for(dynamodb, events)
    assert run(records, store).counted == 400
    assert len(sizes) > 2
    assert max(sizes) <= 100
    assert link(dynamodb, "Wide001")["visits"] == 400
    days = [rollup(dynamodb, "Wide001", f"d#2030-01-{d:02d}") for d in range(1, 6)]
    assert sum(day["visits"] for day in days) == 400
    assert sum(sum(v for k, v in day.items() if k.startswith("referrers:")) for day in days) == 400
    second = run(records, store)
    assert (second.counted, second.repeated) == (0, 400)
    assert link(dynamodb, "Wide001")["visits"] == 400


def transaction_sizes(client: Any) -> list[int]:
    sizes: list[int] = []
    client.meta.events.register(
        "provide-client-params.dynamodb.TransactWriteItems",
        lambda params, **_: sizes.append(len(params["TransactItems"])),
    )
    return sizes


def test_an_overlapping_redelivery_counts_only_what_is_new(dynamodb: Any, store: RollupsTable) -> None:
    add_link(dynamodb, "Over001")
    records = records_for(dynamodb, [visit("Over001", n) for n in range(30)])
    assert run(records[:20], store).counted == 20
    again = run(records[10:], store)
    assert (again.counted, again.repeated) == (10, 10)
    assert link(dynamodb, "Over001")["visits"] == 30
    assert rollup(dynamodb, "Over001", "d#2030-01-31")["visits"] == 30


def test_a_redelivery_across_hours_counts_only_what_is_new(dynamodb: Any, store: RollupsTable) -> None:
    """The watermark rides on each hour rollup: a batch over two hours, one of whose visits came
    late (an earlier hour after a later one, as clocks and queues allow), delivered again in part."""
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
    last = str(10**20 + 20).zfill(40)
    assert watermark(dynamodb, "Hours01", hour="h#2030-01-31T12") == last
    assert watermark(dynamodb, "Hours01", hour="h#2030-01-31T13") == last


class FullItems:
    """moto, except that an update adding a breakdown to the items in ``full`` is refused as
    DynamoDB refuses an item past 400 KB (moto does not): the transaction is cancelled with
    ``ValidationError`` for it. With ``counters_too``, adding anything at all is refused."""

    def __init__(self, client: Any, full: set[str], counters_too: bool = False) -> None:
        self.client, self.full, self.counters_too = client, full, counters_too

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> Any:
        reasons = []
        for action in TransactItems:
            update = action["Update"]
            names = update.get("ExpressionAttributeNames", {}).values()
            grows = self.counters_too or any(":" in name for name in names)
            refused = update["Key"].get("bucket", {}).get("S") in self.full and grows
            reasons.append({"Code": "ValidationError" if refused else "None"})
        if any(reason["Code"] != "None" for reason in reasons):
            error = {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}}
            raise ClientError({**error, "CancellationReasons": reasons}, "TransactWriteItems")  # type: ignore[arg-type]
        return self.client.transact_write_items(TransactItems=TransactItems)


def test_a_full_rollup_keeps_counting_without_new_breakdowns(dynamodb: Any) -> None:
    """Thousands of referrers in a day could take its item to DynamoDB's 400 KB: it then counts
    visits exactly and takes no new breakdown values; the hour items still take them."""
    add_link(dynamodb, "Full001")
    store = RollupsTable(FullItems(dynamodb, {"d#2030-01-31"}), LINKS, ROLLUPS)
    events = [visit("Full001", n, referrer=f"r{n}.example") for n in range(6)]
    records = records_for(dynamodb, events)
    assert run(records[:3], store).counted == 3
    assert run(records, store).counted == 3  # the rest, once
    day = rollup(dynamodb, "Full001", "d#2030-01-31")
    assert day["visits"] == 6
    assert not [name for name in day if name.startswith("referrers:")]
    hour = rollup(dynamodb, "Full001", "h#2030-01-31T12")
    assert (hour["visits"], hour["referrers:r5.example"]) == (6, 1)
    assert link(dynamodb, "Full001")["visits"] == 6


def test_an_item_that_cannot_count_at_all_fails_the_link(dynamodb: Any) -> None:
    add_link(dynamodb, "Full002")
    store = RollupsTable(FullItems(dynamodb, {"d#2030-01-31"}, counters_too=True), LINKS, ROLLUPS)
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


def test_a_partial_failure_is_retried_from_the_first_failed_record(
    dynamodb: Any, store: RollupsTable
) -> None:
    for key in ("Part001", "Part002", "Part003"):
        add_link(dynamodb, key)
    events = [visit(("Part001", "Part002", "Part003")[n % 3], n) for n in range(60)]
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
    fills only its rollups, and does not even try the link."""
    add_link(dynamodb, "Capped1", max_visits=10, visits=4)
    events = [visit("Capped1", n) for n in range(4)]
    events = [dataclasses.replace(event, counted=True) for event in events]
    sizes = transaction_sizes(dynamodb)
    outcome = run(records_for(dynamodb, events), store)
    assert outcome.counted == 4
    assert sizes == [2]  # the hour (with the watermark) and the day
    assert link(dynamodb, "Capped1")["visits"] == 4
    assert rollup(dynamodb, "Capped1", "d#2030-01-31")["visits"] == 4


def test_a_limit_set_after_the_visits_does_not_drop_them(dynamodb: Any, store: RollupsTable) -> None:
    """Visits the redirect did not count (a link without max_visits then) are the link's, even
    if its owner sets max_visits before the aggregator gets to them."""
    add_link(dynamodb, "Later01", max_visits=10)  # set after the three redirects below
    outcome = run(records_for(dynamodb, [visit("Later01", n) for n in range(3)]), store)
    assert outcome.counted == 3
    assert link(dynamodb, "Later01")["visits"] == 3
    assert rollup(dynamodb, "Later01", "d#2030-01-31")["visits"] == 3


def test_visits_of_a_link_that_is_gone_still_fill_its_rollups(dynamodb: Any, store: RollupsTable) -> None:
    outcome = run(records_for(dynamodb, [visit("NoLink1", n) for n in range(2)]), store)
    assert outcome.counted == 2
    assert "Item" not in dynamodb.get_item(TableName=LINKS, Key={"key": {"S": "NoLink1"}})
    assert rollup(dynamodb, "NoLink1", "d#2030-01-31")["visits"] == 2


def test_an_answer_lost_after_the_write_counts_nothing_twice(dynamodb: Any, store: RollupsTable) -> None:
    add_link(dynamodb, "Lost001")
    records = records_for(dynamodb, [visit("Lost001", n) for n in range(10)])
    real = dynamodb.transact_write_items
    lost = {"done": False}

    def applied_then_lost(**kwargs: Any) -> Any:
        answer = real(**kwargs)
        if not lost["done"]:
            lost["done"] = True
            raise ClientError(
                {"Error": {"Code": "InternalServerError"}, "ResponseMetadata": {"HTTPStatusCode": 500}},
                "TransactWriteItems",
            )
        return answer

    dynamodb.transact_write_items = applied_then_lost
    first = run(records, store)
    assert first.failed  # the batch is reported failed: the answer was lost
    dynamodb.transact_write_items = real
    second = run(records, store)
    assert (second.counted, second.repeated) == (0, 10)
    assert link(dynamodb, "Lost001")["visits"] == 10


def test_raw_events_are_written_per_day_and_a_redelivery_replaces_them(
    dynamodb: Any, store: RollupsTable, tmp_path: Path
) -> None:
    add_link(dynamodb, "Raw0001")
    events = [
        visit("Raw0001", 0, at="2030-01-31T23:59:59.000Z", user_agent=SAFARI_IPHONE, country="DE"),
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
    assert "user_agent" not in line
    assert "Mozilla" not in line
