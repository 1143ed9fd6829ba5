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
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from bench.common import ROOT, TYPICAL_TARGET
from bench.requests_count import item_size, write_units
from snip.data.rollups_table import RollupsTable, StreamVisit, position
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
    """DynamoDB's TransactWriteItems for the aggregator's requests, in memory, counting writes and
    the write units they consume (DynamoDB's rules: 2 per started KB of the larger of an item
    before and after, in a transaction)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.writes: Counter[tuple[str, str]] = Counter()
        self.transactions = 0
        self.write_units = 0.0

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
            if match := re.fullmatch(r"attribute_exists\((#\w+)\)", clause):
                ok = names[match[1]] in present
            elif match := re.fullmatch(r"attribute_not_exists\((#\w+)\)", clause):
                ok = names[match[1]] not in present
            elif match := re.fullmatch(r"attribute_not_exists\((#\w+)\) OR (#\w+) < (:\w+)", clause):
                name = names[match[1]]
                ok = name not in present or present[name] < values[match[3]]
            elif match := re.fullmatch(r"\(attribute_not_exists\((#\w+)\) OR (#\w+) <= (:\w+)\)", clause):
                name = names[match[1]]
                ok = name not in present or present[name] <= values[match[3]]
            else:
                raise ValueError(f"the model does not know {clause!r}")
            if not ok:
                return False
        return True

    def _apply(self, op: dict[str, Any], item: dict[str, Any]) -> None:
        names = op.get("ExpressionAttributeNames", {})
        values = {k: _des.deserialize(v) for k, v in op.get("ExpressionAttributeValues", {}).items()}
        for section, body in re.findall(r"(ADD|SET) (.*?)(?= ADD | SET |$)", op["UpdateExpression"]):
            for part in body.split(", "):
                if section == "ADD":
                    name, value = part.split(" ")
                    item[names[name]] = item.get(names[name], 0) + values[value]
                else:
                    name, value = part.split(" = ")
                    item[names[name]] = values[value]

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:
        self.transactions += 1
        assert len(TransactItems) <= 100, "over DynamoDB's 100 actions"
        ops = [action["Update"] for action in TransactItems]
        reasons = []
        for op in ops:
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
            ident = self._id(op)
            if ident not in self.items:  # a new item holds its key attributes
                self.items[ident] = {k: _des.deserialize(v) for k, v in op["Key"].items()}
                before = 0
            else:
                before = _size(self.items[ident])
            item = self.items[ident]
            self._apply(op, item)
            self.writes[ident] += 1
            self.write_units += write_units(max(before, _size(item)), transactional=True)
        return {}


def _size(item: dict[str, Any]) -> int:
    return item_size({name: _ser.serialize(value) for name, value in item.items()})


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
    return RollupsTable(model, "rollups")


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
    model.writes[("links", repr([("key", "Hot1234")]))] = 0  # the link's creation is no visit's write
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
    link_writes = model.writes[("links", repr([("key", "Hot1234")]))]
    return {
        "redirects": redirects,
        "shards": shards,
        "batch_size": size,
        "batches": batches,
        "transactions": model.transactions,
        "busiest_item": f"{busiest[0]} {busiest[1]}",
        "busiest_item_writes_per_second": writes * REDIRECTS_PER_SECOND / redirects,
        "link_item_requests_per_redirect_by_aggregator": link_writes / redirects,
        "counted": int(model.items[("links", repr([("key", "Hot1234")]))].get("visits", 0)),
        "write_units_per_event": model.write_units / redirects,
        # More shards (a bigger visits table) send smaller batches: each shard invokes once a
        # batch is full or its batching window ends, so a hot item takes at most
        # shards / window writes per second however hot the link (formula, not measured).
        "writes_per_second_by_shards": {
            str(n): round(max(n / VISIT_STREAM.max_batching_window_seconds, REDIRECTS_PER_SECOND / size), 1)
            for n in (10, 100, 1000)
        },
    }


def long_tail(links: int = VISIT_STREAM.batch_size) -> dict[str, Any]:
    """A full batch whose every event is another link's (links clicked now and then: the common
    case of a small deployment), through ``snip.operations.visit_counting.aggregate``: the
    aggregator's dearest
    batch, one transaction per event."""
    model = ModelDynamoDB()
    keys = [f"Tail{n:03d}" for n in range(links)]
    for key in keys:
        model.put("links", {"key": {"S": key}}, _link_item(key))
    events = [
        visit(key, n, referrer="news.example.com", country="DE", source="qr" if n % 5 == 0 else "link")
        for n, key in enumerate(keys)
    ]
    _put_visits(model, events)
    records = [stream_record(event, n) for n, event in enumerate(events)]
    outcome = aggregate(records, _shard_id(0), _classify, _store(model), NoArchive())
    counted = sum(int(model.items[("links", repr([("key", key)]))].get("visits", 0)) for key in keys)
    return {
        "events": links,
        "links": links,
        "transactions": model.transactions,
        "counted": counted,
        "failed": len(outcome.failed),
        "write_units_per_event": model.write_units / links,
    }


class _FlakyCounter:
    """Counts through the store; on the batches chosen to fail, counts part of a link, then fails."""

    def __init__(self, store: RollupsTable) -> None:
        self.store = store
        self.fail_next = False

    def count(self, key: str, shard: str, visits: list[StreamVisit]) -> int:
        if self.fail_next:
            self.fail_next = False
            self.store.count(key, shard, visits[: len(visits) // 2])
            raise RuntimeError("injected: DynamoDB went away mid-batch")
        return self.store.count(key, shard, visits)


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
        visit(rng.choice(keys), n, at=f"2030-01-31T{hour(n):02d}:00:00.000Z", bot=n % 7 == 0)
        for n in range(events_total)
    ]
    _put_visits(model, events)
    per_shard: dict[str, list[dict[str, Any]]] = {}
    for n, event in enumerate(events):
        per_shard.setdefault(_shard_id(_shard_of(event, shards)), []).append(stream_record(event, n))
    counter = _FlakyCounter(_store(model))
    stats = Counter[str]()

    def invoke(event: dict[str, Any]) -> tuple[dict[str, Any] | None, Any]:
        stats["invocations"] += 1
        if rng.random() < 0.05:
            stats["failed_mid_batch"] += 1
            counter.fail_next = True
        outcome = aggregate(event["Records"], event["shardId"], _classify, counter, NoArchive())
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
        link = model.items[("links", repr([("key", key)]))]
        wrong += abs(link.get("visits", 0) - expected[key]) + abs(
            link.get("bot_visits", 0) - expected_bots[key]
        )
        day = model.items.get(("rollups", repr([("bucket", "d#2030-01-31"), ("key", key)])), {})
        wrong += abs(day.get("visits", 0) - expected[key]) + abs(
            day.get("bot_visits", 0) - expected_bots[key]
        )
    per_hour = Counter((event.key, event.at[:13], event.bot) for event in events)
    for (key, at, bot), count in per_hour.items():  # each hour too: they carry the watermarks
        item = model.items.get(("rollups", repr([("bucket", "h#" + at), ("key", key)])), {})
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
        "redelivery": redelivery(),
        "stats_lag_local": stats_lag(lag_samples),
    }
