"""8. The visit pipeline: the hot link's busiest item, exactly-once under redelivery, stats lag.

The visits table's stream has a shard per table partition, each read in order, one batch at a
time; events are keyed by request id, so a link's events spread over every shard.

* ``hot_link``: 10,000 events of one link through the aggregator's own code (``RollupsTable``) in
  the mapping's batches, every write counted per item (resolve adds one put per redirect, each to
  an item of its own): the busiest item's writes per 10,000 redirects are its writes per second
  at 10,000 redirects/s.
* ``redelivery``: 100,000 events of 200 links through
  ``snip.operations.visit_counting.aggregate`` and the local
  mapping's retry rules (``snip_local.stream_poller.Delivery``): batches in shuffled order (as
  shards are), 10 % delivered twice, 5 % failing mid-batch after part of it was counted and retried
  from the first failed record. DynamoDB is an in-memory model of exactly the requests the
  aggregator makes (conditions, ADD/SET, CancellationReasons with ALL_OLD): moto would take
  minutes for 100,000 events; tests/service/test_aggregate.py runs the same cases on moto.
* ``stats_lag``: a local stack; an event put as resolve puts it (until resolve writes them itself),
  then the stats polled until they count it: p50/p99 over the samples.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from bench.common import ROOT, TYPICAL_TARGET
from bench.requests_count import item_size, write_units
from snip.data.counter_items import COUNTERS_BUCKET
from snip.data.owner_totals import OWNER_PREFIX, TOTALS_BUCKET, OwnersTable, owner_key
from snip.data.rollups_table import Counted, RollupsTable, StreamVisit, position
from snip.data.visit_archive import NoArchive
from snip.domain.link import Link
from snip.domain.rollups import ClassifiedVisit, UserAgentClass
from snip.domain.visit_events import VisitEvent
from snip.operations.visit_counting import aggregate
from snip_deploy.function_specs import VISIT_STREAM
from snip_local.stream_poller import Delivery
from tests.e2e.stacks import launch, stop
from tests.visits import stream_record, visit

REDIRECTS_PER_SECOND = 10_000
_des, _ser = TypeDeserializer(), TypeSerializer()
AGENT = UserAgentClass("mobile", "Mobile Safari", "iOS")


def _classify(_: str) -> UserAgentClass:
    return AGENT


class ModelDynamoDB:
    """DynamoDB's UpdateItem and TransactWriteItems for the aggregator's (and a max_visits
    redirect's) requests, in memory, counting writes and the write units they consume (DynamoDB's
    rules: 1 per started KB of the larger of an item before and after, 2 in a transaction; a
    failed condition consumes the units of the item as it is)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.writes: Counter[tuple[str, str]] = Counter()
        self.transactions = 0
        self.updates = 0
        self.write_units = 0.0
        self.units_by_item: Counter[tuple[str, str]] = Counter()

    @staticmethod
    def _id(op: dict[str, Any]) -> tuple[str, str]:
        return op["TableName"], repr(sorted((k, _des.deserialize(v)) for k, v in op["Key"].items()))

    def put(self, table: str, key: dict[str, Any], item: dict[str, Any]) -> None:
        ident = (table, repr(sorted((k, _des.deserialize(v)) for k, v in key.items())))
        self.items[ident] = {k: _des.deserialize(v) for k, v in item.items()}
        self.writes[ident] += 1

    def _holds(self, op: dict[str, Any], item: dict[str, Any] | None) -> bool:
        condition = op.get("ConditionExpression")
        if not condition:
            return True
        names = op.get("ExpressionAttributeNames", {})
        values = {k: _des.deserialize(v) for k, v in op.get("ExpressionAttributeValues", {}).items()}
        present = item or {}
        for clause in re.split(r" AND (?![^(]*\))", condition):
            if clause.startswith("(") and clause.endswith(")"):
                clause = clause[1:-1]
            if match := re.fullmatch(r"attribute_exists\((#\w+)\)", clause):
                ok = names[match[1]] in present
            elif match := re.fullmatch(r"attribute_not_exists\((#\w+)\)", clause):
                ok = names[match[1]] not in present
            elif match := re.fullmatch(r"(#\w+) = (:\w+)", clause):
                ok = present.get(names[match[1]]) == values[match[2]]
            elif match := re.fullmatch(r"attribute_not_exists\((#\w+)\) OR (#\w+) (<=?) (:\w+)", clause):
                name = names[match[1]]
                bound = values[match[4]]
                ok = name not in present or (
                    present[name] < bound if match[3] == "<" else present[name] <= bound
                )
            else:
                raise ValueError(f"the model does not know {clause!r}")
            if not ok:
                return False
        return True

    def _apply(self, op: dict[str, Any], item: dict[str, Any]) -> None:
        names = op.get("ExpressionAttributeNames", {})
        values = {k: _des.deserialize(v) for k, v in op.get("ExpressionAttributeValues", {}).items()}
        for section, body in re.findall(
            r"(ADD|SET|REMOVE) (.*?)(?= ADD | SET | REMOVE |$)", op["UpdateExpression"]
        ):
            for part in re.split(r", (?![^(]*\))", body):
                if section == "ADD":
                    name, value = part.split(" ")
                    item[names[name]] = item.get(names[name], 0) + values[value]
                elif section == "REMOVE":
                    item.pop(names[part], None)
                else:
                    name, value = part.split(" = ")
                    if match := re.fullmatch(r"if_not_exists\((#\w+), (:\w+)\)", value):
                        item.setdefault(names[match[1]], values[match[2]])
                    else:
                        item[names[name]] = values[value]

    def _write(self, op: dict[str, Any], *, transactional: bool) -> dict[str, Any]:
        """Apply an Update (or a Put) whose condition held; count its item's write and units."""
        if "Item" in op:  # a Put
            ident = (op["TableName"], "put:" + repr(sorted(op["Item"].items()))[:200])
            before = _size(self.items[ident]) if ident in self.items else 0
            self.items[ident] = {k: _des.deserialize(v) for k, v in op["Item"].items()}
        else:
            ident = self._id(op)
            if ident not in self.items:  # a new item holds its key attributes
                self.items[ident] = {k: _des.deserialize(v) for k, v in op["Key"].items()}
                before = 0
            else:
                before = _size(self.items[ident])
            self._apply(op, self.items[ident])
        item = self.items[ident]
        self.writes[ident] += 1
        units = write_units(max(before, _size(item)), transactional=transactional)
        self.write_units += units
        self.units_by_item[ident] += units
        return item

    def update_item(self, **op: Any) -> dict[str, Any]:
        """A plain UpdateItem: 1 unit per started KB of the larger of the item before and after; a
        failed condition consumes the units of the item as it is."""
        self.updates += 1
        item = self.items.get(self._id(op))
        if not self._holds(op, item):
            units = write_units(_size(item) if item else 0, transactional=False)
            self.write_units += units
            self.units_by_item[self._id(op)] += units
            error: dict[str, Any] = {
                "Error": {"Code": "ConditionalCheckFailedException", "Message": "failed"}
            }
            if item is not None and op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD":
                error["Item"] = {k: _ser.serialize(v) for k, v in item.items()}
            raise ClientError(error, "UpdateItem")  # type: ignore[arg-type]
        written = self._write(op, transactional=False)
        if op.get("ReturnValues") == "ALL_NEW":
            return {"Attributes": {k: _ser.serialize(v) for k, v in written.items()}}
        return {}

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        """Reads (read units are not counted here): the items there, none unprocessed."""
        found: dict[str, list[dict[str, Any]]] = {}
        for table, asked in RequestItems.items():
            for key in asked["Keys"]:
                item = self.items.get(self._id({"TableName": table, "Key": key}))
                if item is not None:
                    found.setdefault(table, []).append({k: _ser.serialize(v) for k, v in item.items()})
        return {"Responses": found}

    def transact_write_items(self, TransactItems: list[dict[str, Any]], **_: Any) -> dict[str, Any]:
        self.transactions += 1
        assert len(TransactItems) <= 100, "over DynamoDB's 100 actions"
        ops = [action.get("Update") or action["Put"] for action in TransactItems]
        reasons = []
        for op in ops:
            if "Item" in op:
                found = self.items.get((op["TableName"], "put:" + repr(sorted(op["Item"].items()))[:200]))
                item = found
            else:
                item = self.items.get(self._id(op))
            if self._holds(op, item):
                reasons.append({"Code": "None"})
            else:
                reason: dict[str, Any] = {"Code": "ConditionalCheckFailed"}
                if item is not None and op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD":
                    reason["Item"] = {k: _ser.serialize(v) for k, v in item.items()}
                reasons.append(reason)
        if any(r["Code"] != "None" for r in reasons):
            error = {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}}
            raise ClientError({**error, "CancellationReasons": reasons}, "TransactWriteItems")  # type: ignore[arg-type]
        for op in ops:
            self._write(op, transactional=True)
        return {}


def _size(item: dict[str, Any]) -> int:
    """``requests_count.item_size`` of an item held as Python values, without serializing it
    (the part's hottest line): strings by their bytes, numbers by their significant digits."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        if isinstance(value, str):
            size += len(value.encode())
        elif isinstance(value, bool):
            size += 1
        elif isinstance(value, int | Decimal) and value == int(value):
            size += math.ceil(len(str(abs(int(value))).strip("0") or "0") / 2) + 1
        else:
            size += item_size({name: _ser.serialize(value)}) - len(name.encode())
    return size


# A link as shorten writes it (a typical target, two tags), for the size of its item.
def _link_item(key: str) -> dict[str, Any]:
    link = {
        "key": key,
        "url": TYPICAL_TARGET,
        "owner": "a1b2c3d4e5",
        "created_at": "2030-01-31T11:00:00Z",
        "listed_at": f"2030-01-31T11:00:00Z#{key}",
        "redirect_status": 302,
        "tags": ["spring", "newsletter"],
        "disabled": False,
        "visits": 0,
        "bot_visits": 0,
    }
    return {name: _ser.serialize(value) for name, value in link.items()}


def _store(model: ModelDynamoDB) -> RollupsTable:
    return RollupsTable(model, "rollups")  # type: ignore[arg-type]


# Every link of the models was created after the owner totals' cut (recorded when first asked:
# the models' clock is today's, their links are of 2030), so every visit counts in its owner's
# totals as well, as on a stack installed with them.
CREATED = "2030-01-01T00:00:00Z"


def _owners(model: ModelDynamoDB) -> OwnersTable:
    return OwnersTable(model, "rollups", margin=0)  # type: ignore[arg-type]


def _owner_item(model: ModelDynamoDB, owner: str) -> dict[str, Any]:
    return _item(model, owner_key(owner), TOTALS_BUCKET)


def _item(model: ModelDynamoDB, key: str, bucket: str) -> dict[str, Any]:
    return model.items.get(("rollups", repr([("bucket", bucket), ("key", key)])), {})


def _counted(model: ModelDynamoDB, key: str) -> dict[str, Any]:
    """A link's counters item (what GET /links shows)."""
    return _item(model, key, COUNTERS_BUCKET)


def _put_visits(model: ModelDynamoDB, events: list[VisitEvent]) -> None:
    """resolve's puts: one item per redirect, keyed by the request id."""
    for event in events:
        model.put("visits", {"id": {"S": event.id}}, event.to_item())


# At 10,000 redirects/s the visits table takes 10,000 writes/s of items under 1 KB: at least 10
# partitions (1,000 WCU each), so at least 10 stream shards, each read at its own pace.
HOT_SHARDS = 10


def _shard_id(n: int) -> str:
    """A shard id as DynamoDB Streams names them (its length counts in the watermark's size)."""
    return f"shardId-00000001900000000000-{n:08x}"


def _shard_of(event: VisitEvent, shards: int) -> int:
    """The shard an event's item lands in: DynamoDB hashes the partition key (the request id)."""
    return int(hashlib.md5(event.id.encode(), usedforsecurity=False).hexdigest(), 16) % shards


def hot_link(redirects: int = REDIRECTS_PER_SECOND, shards: int = HOT_SHARDS) -> dict[str, Any]:
    """One second of a link at 10,000 redirects/s: every shard's events of that second make one
    batch (``batch_size`` at most: the mapping invokes when a batch is full or its window ends)."""
    model = ModelDynamoDB()
    model.put("links", {"key": {"S": "Hot1234"}}, _link_item("Hot1234"))
    events = [visit("Hot1234", n, at="2030-01-31T12:00:00.000Z") for n in range(redirects)]
    _put_visits(model, events)  # resolve: one item per redirect
    model.writes.clear()  # the link's creation and the events' puts are no write of the pipeline
    model.write_units = 0.0
    store = _store(model)
    size = VISIT_STREAM.batch_size
    per_shard: dict[int, list[StreamVisit]] = {}
    for n, event in enumerate(events):
        per_shard.setdefault(_shard_of(event, shards), []).append(
            StreamVisit(position(str(10**20 + n)), ClassifiedVisit(event, AGENT))
        )
    batches = 0
    for shard, found in sorted(per_shard.items()):
        for start in range(0, len(found), size):
            batches += 1
            store.count("Hot1234", _shard_id(shard), found[start : start + size])
    busiest, writes = model.writes.most_common(1)[0]
    link_writes = model.writes[("links", repr([("key", "Hot1234")]))]  # the link's own item: never
    return {
        "redirects": redirects,
        "shards": shards,
        "batch_size": size,
        "batches": batches,
        "transactions": model.transactions,
        "busiest_item": f"{busiest[0]} {busiest[1]}",
        "busiest_item_name": "counters" if COUNTERS_BUCKET in busiest[1] else "hour rollup",
        "busiest_item_writes_per_second": writes * REDIRECTS_PER_SECOND / redirects,
        "link_item_requests_per_redirect_by_aggregator": link_writes / redirects,
        "counted": int(_counted(model, "Hot1234").get("visits", 0)),
        "write_units_per_event": model.write_units / redirects,
        # More shards (a bigger visits table) send smaller batches: each shard invokes once a
        # batch is full or its batching window ends, so a hot item takes at most
        # shards / window writes per second however hot the link (formula, not measured).
        "writes_per_second_by_shards": {
            str(n): round(max(n / VISIT_STREAM.max_batching_window_seconds, REDIRECTS_PER_SECOND / size), 1)
            for n in (10, 100, 1000)
        },
    }


def long_tail(links: int = VISIT_STREAM.batch_size, owner_per_link: bool = False) -> dict[str, Any]:
    """A full batch whose every event is another link's (links clicked now and then: the common
    case of a small deployment), through ``snip.operations.visit_counting.aggregate``: the
    aggregator's dearest batch, an hour update and a counters update per event, the owner's
    totals once (with ``owner_per_link``, every link another owner's: once per event), and the
    pipeline's progress twice per batch. The links carry 10 rules, a split, a 200-character title
    and 1,000 characters of notes: their items are never written by a visit, whatever they hold."""
    model = ModelDynamoDB()
    keys = [f"Tail{n:03d}" for n in range(links)]
    for key in keys:
        model.put("links", {"key": {"S": key}}, _link_item(key))
    events = [
        replace(
            visit(key, n, referrer="news.example.com", country="DE", source="qr" if n % 5 == 0 else "link"),
            owner=f"owner{n:04d}" if owner_per_link else "local",
            created=CREATED,
        )
        for n, key in enumerate(keys)
    ]
    _put_visits(model, events)
    owners = _owners(model)
    owners.cut()
    model.writes.clear()
    model.write_units = 0.0
    records = [stream_record(event, n) for n, event in enumerate(events)]
    outcome = aggregate(records, _shard_id(0), _classify, _store(model), NoArchive(), owners=owners)
    counted = sum(int(_counted(model, key).get("visits", 0)) for key in keys)
    link_writes = sum(n for (table, _), n in model.writes.items() if table == "links")
    return {
        "events": links,
        "links": links,
        "transactions": model.transactions,
        "updates": model.updates,
        "link_item_writes": link_writes,
        "counted": counted,
        "failed": len(outcome.failed),
        "owners": len({event.owner for event in events}),
        "owner_item_writes": sum(n for (_, ident), n in model.writes.items() if OWNER_PREFIX in ident),
        "write_units_per_event": model.write_units / links,
    }


class _FlakyCounter:
    """Counts through the store; on the batches chosen to fail, counts part of a link, then fails."""

    def __init__(self, store: RollupsTable) -> None:
        self.store = store
        self.fail_next = False

    def count(self, key: str, shard: str, visits: list[StreamVisit]) -> Counted:
        if self.fail_next:
            self.fail_next = False
            self.store.count(key, shard, visits[: len(visits) // 2])
            raise RuntimeError("injected: DynamoDB went away mid-batch")
        return self.store.count(key, shard, visits)

    def record_progress(self, shard: str, progress: Any) -> None:
        self.store.record_progress(shard, progress)


def redelivery(
    events_total: int = 100_000, links: int = 200, shards: int = 8, seed: int = 11
) -> dict[str, Any]:
    """Each shard's batches in order, the shards interleaved at random; 10 % of batches delivered
    a second time later on (out of order, as Lambda may), 5 % failing mid-batch and retried from
    the first failed record (``Delivery``, the local mapping's rules)."""
    rng = random.Random(seed)
    model = ModelDynamoDB()
    keys = [f"Link{n:03d}" for n in range(links)]
    for key in keys:
        model.put(
            "links", {"key": {"S": key}}, {"key": {"S": key}, "visits": {"N": "0"}, "bot_visits": {"N": "0"}}
        )

    def hour(n: int) -> int:  # the day's hours in stream order, 2 % of events an hour late
        return max(0, n * 24 // events_total - (rng.random() < 0.02))

    events = [
        replace(
            visit(rng.choice(keys), n, at=f"2030-01-31T{hour(n):02d}:00:00.000Z", bot=n % 7 == 0),
            owner=f"owner{n % 3}",
            created=CREATED,
        )
        for n in range(events_total)
    ]
    # Each link is one owner's (its visits' owner, as resolve writes it): three owners.
    owner_of = {event.key: event.owner for event in events}
    events = [replace(event, owner=owner_of[event.key]) for event in events]
    _put_visits(model, events)
    per_shard: dict[str, list[dict[str, Any]]] = {}
    for n, event in enumerate(events):
        per_shard.setdefault(_shard_id(_shard_of(event, shards)), []).append(stream_record(event, n))
    counter = _FlakyCounter(_store(model))
    owners = _owners(model)
    stats = Counter[str]()

    def invoke(event: dict[str, Any]) -> tuple[dict[str, Any] | None, Any]:
        stats["invocations"] += 1
        if rng.random() < 0.05:
            stats["failed_mid_batch"] += 1
            counter.fail_next = True
        outcome = aggregate(
            event["Records"], event["shardId"], _classify, counter, NoArchive(), owners=owners
        )
        return None, outcome.response()

    # The records' time (tests.visits.stream_record), so that no record is ever older than the
    # stream keeps it (Delivery then gives up, as the mapping would), whatever today's date.
    delivery = Delivery(invoke, backoff=0, clock=lambda: 1_900_000_000)
    size = VISIT_STREAM.batch_size // 10  # smaller batches than deployed: more of them to disturb
    queues = {
        shard: [records[i : i + size] for i in range(0, len(records), size)]
        for shard, records in per_shard.items()
    }
    stats["batches"] = sum(len(q) for q in queues.values())
    again: list[tuple[str, list[dict[str, Any]]]] = []
    began = time.monotonic()
    while any(queues.values()) or again:
        if again and (not any(queues.values()) or rng.random() < 0.1):
            shard, batch = again.pop(rng.randrange(len(again)))  # a repeat, out of order
            stats["delivered_twice"] += 1
            delivery.deliver(batch, shard)
            continue
        shard = rng.choice([name for name, queue in queues.items() if queue])
        batch = queues[shard].pop(0)
        delivery.deliver(batch, shard)
        if rng.random() < 0.10:
            again.append((shard, batch))
    expected = Counter(event.key for event in events if not event.bot)
    expected_bots = Counter(event.key for event in events if event.bot)
    wrong = 0
    for key in keys:
        link = _counted(model, key)
        wrong += abs(link.get("visits", 0) - expected[key]) + abs(
            link.get("bot_visits", 0) - expected_bots[key]
        )
    for owner in set(owner_of.values()):  # the owners' totals: their links' sums, once each
        item = _owner_item(model, owner)
        mine = [event for event in events if event.owner == owner]
        wrong += abs(item.get("visits", 0) - sum(not event.bot for event in mine))
        wrong += abs(item.get("bot_visits", 0) - sum(event.bot for event in mine))
    per_hour = Counter((event.key, event.at[:13], event.bot) for event in events)
    for (key, at, bot), count in per_hour.items():  # each hour (a day is their sum)
        item = _item(model, key, "h#" + at)
        wrong += abs(item.get("bot_visits" if bot else "visits", 0) - count)
    return {
        "events": events_total,
        "shards": shards,
        "batch_size": size,
        **dict(stats),
        "given_up": len(delivery.given_up),
        "lost_or_double_counted": int(wrong),
        "seconds": round(time.monotonic() - began, 1),
    }


# A realistic day (issue 19): 10 million redirects over a million links whose popularity follows
# Zipf (s = 1), arriving evenly over 24 h. The arrival is even, so every hour of the day costs the
# same per visit: one whole hour and the start of the next is run (hour items grow over their hour,
# and a write pays for its item's size), through the configured stream (shards, batch size,
# batching window) and the aggregator's own code. At 1 and 10 shards (informational, beside the
# judged 4) the first ZIPF_OTHER_MINUTES of the hour only: their hour items are smaller than a
# whole hour's, their figures a little low.
ZIPF_REDIRECTS_PER_DAY = 10_000_000
ZIPF_LINKS = 1_000_000
ZIPF_START = "2030-01-31T12:00:00"
ZIPF_MINUTES = 65
ZIPF_OTHER_MINUTES = 20
ZIPF_SHARDS = (1, 4, 10)
ZIPF_JUDGED_SHARDS = 4
# Visitors as a busy link sees them: referrers and countries themselves Zipf-like, a few browsers.
_AGENTS = [
    UserAgentClass("mobile", "Mobile Safari", "iOS"),
    UserAgentClass("desktop", "Chrome", "Windows"),
    UserAgentClass("mobile", "Chrome Mobile", "Android"),
    UserAgentClass("desktop", "Safari", "Mac OS X"),
    UserAgentClass("desktop", "Firefox", "Linux"),
    UserAgentClass("tablet", "Mobile Safari", "iOS"),
]
_REFERRERS = ["(direct)", "t.co", "news.ycombinator.com", "www.google.com", "l.facebook.com"] + [
    f"site{n}.example" for n in range(45)
]
_COUNTRIES = ["US", "DE", "GB", "FR", "IN", "BR", "JP", "CA", "NL", "ES"] + [f"Q{n}" for n in range(15)]


def _zipf_weights(n: int) -> list[float]:
    return list(itertools.accumulate(1.0 / rank for rank in range(1, n + 1)))


def zipf_day(shards: int, seed: int = 19, minutes: int = ZIPF_MINUTES) -> dict[str, Any]:
    """Write units per visit of the realistic day at ``shards`` stream shards: each shard's
    events in batches that close when ``batch_size`` is reached or the batching window ends."""
    rng = random.Random(seed)
    rate = ZIPF_REDIRECTS_PER_DAY / 86_400
    total = int(rate * minutes * 60)
    ranks = rng.choices(range(ZIPF_LINKS), cum_weights=_zipf_weights(ZIPF_LINKS), k=total)
    referrers = rng.choices(_REFERRERS, cum_weights=_zipf_weights(len(_REFERRERS)), k=total)
    countries = rng.choices(_COUNTRIES, cum_weights=_zipf_weights(len(_COUNTRIES)), k=total)
    agents = {agent.browser + agent.device: agent for agent in _AGENTS}
    start = datetime.fromisoformat(ZIPF_START).replace(tzinfo=UTC).timestamp()
    window = VISIT_STREAM.max_batching_window_seconds
    model = ModelDynamoDB()
    store = _store(model)
    owners = _owners(model)
    open_batches: dict[int, list[dict[str, Any]]] = {}
    opened: dict[int, float] = {}
    sequence = Counter[int]()
    batches = 0
    distinct = 0

    def close(shard: int) -> None:
        nonlocal batches, distinct
        batch = open_batches.pop(shard)
        batches += 1
        distinct += len({record["dynamodb"]["NewImage"]["key"]["S"] for record in batch})
        aggregate(batch, _shard_id(shard), lambda ua: agents[ua], store, NoArchive(), owners=owners)

    for n in range(total):
        moment = start + n / rate
        for shard in [s for s, t in opened.items() if moment - t >= window]:
            close(shard)
            del opened[shard]
        agent = _AGENTS[n % len(_AGENTS)]
        at = datetime.fromtimestamp(moment, UTC)
        event = VisitEvent(
            id=f"z-{n:09d}",
            at=at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
            key=f"Z{ranks[n]:06d}",
            owner="a1b2c3d4e5",
            bot=n % 50 == 0,
            referrer=referrers[n],
            country=countries[n],
            user_agent=agent.browser + agent.device,
            source="qr" if n % 10 == 0 else "link",
            expires=int(moment) + 86_400,
            created=CREATED,
        )
        shard = rng.randrange(shards)
        record = stream_record(event, 0)
        sequence[shard] += 1
        record["dynamodb"]["SequenceNumber"] = str(10**20 + sequence[shard])
        record["dynamodb"]["ApproximateCreationDateTime"] = int(moment)
        open_batches.setdefault(shard, []).append(record)
        opened.setdefault(shard, moment)
        if len(open_batches[shard]) >= VISIT_STREAM.batch_size:
            close(shard)
            del opened[shard]
    for shard in list(open_batches):
        close(shard)
    link_units = sum(units for (_, ident), units in model.units_by_item.items() if COUNTERS_BUCKET in ident)
    return {
        "shards": shards,
        "batching_window_s": window,
        "batch_size": VISIT_STREAM.batch_size,
        "visits": total,
        "minutes": minutes,
        "batches": batches,
        "events_per_batch": round(total / batches, 1),
        "distinct_links_per_visit": round(distinct / total, 3),
        "writes_per_visit": round(model.updates / total, 3),
        "write_units_per_event": model.write_units / total,
        "counters_units_per_event": link_units / total,
        "owner_units_per_event": sum(
            units for (_, ident), units in model.units_by_item.items() if OWNER_PREFIX in ident
        )
        / total,
        "transactions": model.transactions,
    }


# A max_visits link under load (issue 20, 13): every redirect counts on the link's counters item in
# one transaction with its event; the item's write units per redirect decide the rate it takes
# before the ~1,000 write units per second one item (its partition) allows.
ITEM_WRITE_UNITS_PER_SECOND = 1_000
MAX_VISITS_RATES = (10, 100, 250)


def max_visits_link(seconds: int = 3) -> dict[str, Any]:
    """Redirects of a link with max_visits at each rate for ``seconds``, through
    ``LimitedVisits.record_visit`` on the model: write units on the counters item per redirect."""
    from snip.data.limited_visits import LimitedVisits
    from snip.data.link_memory import LinkMemory
    from snip.data.links_table import LinksTable
    from snip.data.visits_table import VisitsTable
    from snip.operations.follow_link import Visit, visit_event

    rows = {}
    for rate in MAX_VISITS_RATES:
        model = ModelDynamoDB()
        links = LinksTable(model, "links")  # type: ignore[arg-type]
        limited = LimitedVisits(links, LinkMemory(links), VisitsTable(model, "visits"), "rollups")  # type: ignore[arg-type]
        link = Link("Lim1234", owner="a1b2c3d4e5", url=TYPICAL_TARGET, redirect_status=302, max_visits=10**9)
        start = datetime(2030, 1, 31, 12, tzinfo=UTC)
        redirects = rate * seconds
        for n in range(redirects):
            moment = start + timedelta(seconds=n / rate)
            event = visit_event(
                "Lim1234", link, Visit(f"cf-{rate}-{n:06d}", user_agent="Mozilla/5.0"), moment, counted=True
            )
            limited.record_visit(link, moment.strftime("%Y-%m-%dT%H:%M:%SZ"), event)
        ident = ("rollups", repr([("bucket", COUNTERS_BUCKET), ("key", "Lim1234")]))
        per_redirect = model.units_by_item[ident] / redirects
        rows[str(rate)] = {
            "redirects": redirects,
            "counted": int(model.items[ident].get("visits", 0)),
            "item_bytes": _size(model.items[ident]),
            "item_write_units_per_redirect": per_redirect,
            "write_units_per_redirect": model.write_units / redirects,
            "ceiling_redirects_per_second": int(ITEM_WRITE_UNITS_PER_SECOND / per_redirect),
        }
    return {
        "rates": rows,
        "ceiling_redirects_per_second": min(row["ceiling_redirects_per_second"] for row in rows.values()),
    }


def stats_lag(samples: int = 30) -> dict[str, Any]:
    """From a redirect's answer (its event is durable by then) to the stats counting it, on a local stack."""
    with tempfile.TemporaryDirectory() as tmp:
        stack = launch(Path(tmp), "bench-stats", SNIP_KEYGEN_INTERVAL="3600", SNIP_POOL_TARGET="10")
        try:
            created = requests.post(
                f"{stack.base_url}/links",
                json={"url": "https://example.com/"},
                headers=stack.headers(),
                timeout=30,
            )
            key = created.json()["key"]
            lags = []
            for n in range(samples):
                answer = requests.get(f"{stack.base_url}/{key}", allow_redirects=False, timeout=30)
                assert answer.status_code == 302, answer.text
                began = time.monotonic()
                while time.monotonic() - began < 30:
                    stats = requests.get(
                        f"{stack.base_url}/links/{key}/stats", headers=stack.headers(), timeout=30
                    )
                    if stats.json()["total"]["visits"] >= n + 1:
                        break
                    time.sleep(0.02)
                lags.append(time.monotonic() - began)
        finally:
            stop(stack)
    lags.sort()
    return {
        "samples": samples,
        "p50_s": round(statistics.median(lags), 3),
        "p99_s": round(lags[min(len(lags) - 1, int(len(lags) * 0.99))], 3),
        "max_s": round(lags[-1], 3),
        "via": "GET /{key} answered 302, then GET /links/{key}/stats polled every 20 ms",
    }


def typical_event_item() -> dict[str, Any]:
    """The item resolve writes for a visit from a desktop Chrome with a Referer (for its size),
    keyed by CloudFront's request id as the front door's redirects are."""
    from bench.bench_events import CHROME, CLOUDFRONT_ID
    from snip.operations.follow_link import Visit, visit_event

    link = Link("AbC1234", owner="a1b2c3d4e5", url="https://example.com/")
    visit = Visit(
        request_id=CLOUDFRONT_ID,
        user_agent=CHROME,
        referer="https://news.ycombinator.com/item?id=1",
        country="DE",
    )
    return visit_event("AbC1234", link, visit, datetime(2030, 1, 31, 12, tzinfo=UTC)).to_item()


def run(lag_samples: int = 30) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    return {
        "hot_link": hot_link(),
        "long_tail": long_tail(),
        "long_tail_owner_per_link": long_tail(owner_per_link=True),
        "redelivery": redelivery(),
        "zipf_day": {
            str(shards): zipf_day(
                shards, minutes=ZIPF_MINUTES if shards == ZIPF_JUDGED_SHARDS else ZIPF_OTHER_MINUTES
            )
            for shards in ZIPF_SHARDS
        },
        "max_visits_link": max_visits_link(),
        "stats_lag_local": stats_lag(lag_samples),
    }
