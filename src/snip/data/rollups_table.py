"""The aggregator's and the stats' DynamoDB requests: counting visit events exactly once, reading rollups.

The links API's stats and owner views read it; the redirect writes only a link's counters item
(``counter_update``, a link with ``max_visits``).

Two kinds of items per link in the rollups table, each written with **one plain conditional
UpdateItem per link and batch** (no transaction):

* an **hour** item per hour touched (``h#2030-01-31T12``): the counts and breakdowns. A day's
  numbers are the sum of its hours, summed when stats are read (earlier versions also wrote a
  day item ``d#...``, which stats no longer read);
* the link's **counters** item (bucket ``link``): ``visits``, ``bot_visits`` and the latest
  visit, what GET /links shows. It never shares an item with the link's URL, owner, tags or any
  other field an owner writes, so neither makes a counting write dearer, and a link's item is
  written only by its owner.

Exactly once, by a watermark per item and stream shard. Lambda reads each shard of the visits
table's stream in order, one batch at a time (parallelization factor 1), and delivers again from
the first record a batch reported failed; a record seen a second time may come out of order, but
only after it was delivered in order once. So what a shard has counted into an item is a prefix
of that item's records in the shard. Each update sets the attribute ``n#<shard tag>`` of the item
it writes to the last of its events' sequence numbers (a short string that sorts as the number:
``position``), on the condition that it is below the first of them: a batch delivered twice,
retried after a partial failure, bisected, or an update whose answer was lost fails the
condition; the item as it was (ALL_OLD: a rollups item, never a link's) gives the watermark, the
events at or below it are dropped and the rest is sent again. A record not counted yet lies above
every watermark of its shard. The hour items are written first,
then the counters; each item decides for itself, so a batch that failed between the two counts
the rest on its redelivery and nothing twice.

Watermarks of closed shards (DynamoDB rolls a stream's shards over every few hours) would pile up
on a counters item that lives as long as its link: each carries the time it was written
(``<position>@<epoch seconds>``), and those older than the stream's retention (no record of that
shard can be delivered again) are removed once ``PRUNE_AFTER`` of them have gathered.

Upgrading from the transactional aggregator (docs/deploy.md): its hour items carry the watermark
``w#<shard id>`` of what it counted into the hour, its day item and the link item's counters in
one transaction. An hour update honours both watermarks; events at or below the old one are
counted on the link item already, so they are dropped from the counters too. Reading adds the
link item's old counters (frozen since) to the counters item's.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from snip.data import clients
from snip.data.counter_items import COUNTERS_BUCKET, FROZEN, LATEST_PREFIX, WATERMARK_PREFIX
from snip.data.dependency_guard import CONDITION_FAILED, MAX_BATCH_GET, dependency_guard, error_code, old_item
from snip.data.item_codec import from_item, to_item
from snip.domain.errors import DependencyUnavailable
from snip.domain.rollups import BOT_VISITS, VISITS, ClassifiedVisit, deltas, hour_of
from snip.domain.stats import LinkCounts, ShardProgress
from snip.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, QueryInputTypeDef, UpdateItemInputTypeDef

# The TTL attribute of the rollups table: the first version kept watermarks as items of their own
# (bucket ``w#<shard id>``, attribute ``counted_to``) that carried it; TTL removes the last of them.
# No item written now has it.
WATERMARK_EXPIRES = "expires"
LEGACY_WATERMARK_PREFIX = "w#"  # the transactional aggregator's, on hour items (read, never written)
# The aggregator's progress, one attribute per shard (``ShardProgress``): stats' ``as_of``.
PROGRESS_KEY = "#pipeline"  # '#' is never in a link's key
PROGRESS_BUCKET = "shards"
PROGRESS_PREFIX = "s#"
LEGACY_SEQUENCE_WIDTH = 40  # the transactional aggregator's positions: sequence numbers zero-filled
# A position's digits, in ascending byte order (DynamoDB compares strings byte by byte).
POSITION_DIGITS = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
MAX_BUCKET_ATTRIBUTES = 150  # breakdown numbers per rollup update: keeps the expression under 4 KB
RETENTION_SECONDS = 25 * 3600  # a stream keeps a record 24 h: older watermarks can go
PRUNE_AFTER = 8  # stale watermarks gathered on a counters item before one write removes them
# A counters update: only events above the shard's watermark, and only while the link is not
# deleted (its item frozen: counter_items.FROZEN).
_UNCOUNTED_AND_LIVE = "(attribute_not_exists(#n) OR #n < :first) AND attribute_not_exists(#f)"
TOO_BIG = "ValidationException"  # an update that would take its item past DynamoDB's 400 KB
logger = Logger(child=True)  # the aggregator's and shorten's (stats) Powertools Logger


def _link_time(at: str) -> str:
    """An event's time (milliseconds) in the links table's format (seconds, ``Z``)."""
    return at[:19] + "Z"


def position(sequence_number: str) -> str:
    """A stream sequence number as a short string that sorts as the number does (DynamoDB compares
    strings byte by byte, and sequence numbers vary in length, 21 to 40 digits): the number in base
    64 (``POSITION_DIGITS``) after one digit that gives how many follow. 13 characters for today's
    21-digit numbers, at most 24, where zero-filling took 40: every hour item carries one per shard
    that wrote it, and pays for its size (docs/architecture.md, "small items")."""
    number, digits = int(sequence_number), ""
    while True:
        number, digit = divmod(number, 64)
        digits = POSITION_DIGITS[digit] + digits
        if not number:
            return POSITION_DIGITS[len(digits)] + digits


def sequence_number(position_: str) -> int:
    """The sequence number a ``position`` stands for."""
    number = 0
    for digit in position_[1:]:
        number = number * 64 + POSITION_DIGITS.index(digit)
    return number


def legacy_position(position_: str) -> str:
    """A ``position`` as the transactional aggregator wrote its watermarks (zero-filled digits)."""
    return str(sequence_number(position_)).zfill(LEGACY_SEQUENCE_WIDTH)


def from_legacy(watermark: str) -> str:
    """A watermark of the transactional aggregator (``w#<shard id>``) as a ``position``; "" for none."""
    return position(watermark) if watermark else ""


def shard_tag(shard: str) -> str:
    """A shard's name in its attributes (``n#<tag>``, ``l#<tag>``): 8 characters of a digest of its
    id, instead of its ~40 (an item carries one per shard that wrote it, and pays for its size)."""
    return base64.urlsafe_b64encode(hashlib.sha256(shard.encode()).digest()[:6]).decode()


def _watermark_position(value: object) -> str:
    """The position part of a watermark (``<position>`` or ``<position>@<epoch>``)."""
    return str(value or "").split("@", 1)[0]


@dataclass(frozen=True)
class StreamVisit:
    """A classified visit and where it sits in its shard."""

    position: str  # ``position(SequenceNumber)``
    visit: ClassifiedVisit


@dataclass
class Counted:
    """What counting one link's visits of one shard did."""

    hours: int = 0  # events this call counted into their hours (the rest: a redelivery)
    # Positions of the events that are on the link's counters item: counted there now or before,
    # or by the redirect itself (``counted``); not those a frozen (deleted) link's item refused.
    settled: set[str] = field(default_factory=set)
    total: int | None = None  # the counters item's visits after this call, when it wrote them
    frozen: bool = False  # the link is deleted: its counters item takes nothing more


@dataclass
class _Pending:
    """One link's events of one shard on their way: which are still to count where."""

    hours: dict[str, list[StreamVisit]]
    counters: list[StreamVisit]
    legacy: set[str] = field(default_factory=set)  # positions the old aggregator counted on the link


class RollupsTable:
    def __init__(
        self, client: DynamoDBClient, rollups_table: str, epoch: Callable[[], float] = time.time
    ) -> None:
        self.client = client
        self.rollups_table = rollups_table
        self.epoch = epoch  # seconds: the watermarks' stamps (tests set the clock)

    # -- counting --------------------------------------------------------------------------
    def count(self, key: str, shard: str, visits: Sequence[StreamVisit]) -> Counted:
        """Count one link's visits of one shard exactly once: into their hours, then onto the
        link's counters item unless it is frozen (the link deleted)."""
        ordered = sorted({visit.position: visit for visit in visits}.values(), key=lambda v: v.position)
        pending = _Pending(hours={}, counters=ordered)
        for visit in ordered:
            pending.hours.setdefault(hour_of(visit.visit.event.at), []).append(visit)
        counted = 0
        for hour, events in sorted(pending.hours.items()):
            while events:
                size = chunk_size([visit.visit for visit in events])
                counted += self._count_hour(key, shard, hour, events[:size], pending)
                events = events[size:]
        outcome = Counted(hours=counted, settled={v.position for v in ordered if v.visit.event.counted})
        outcome.settled |= pending.legacy
        self._count_link(
            key, shard, [v for v in pending.counters if v.position not in pending.legacy], outcome
        )
        return outcome

    def _count_hour(
        self, key: str, shard: str, hour: str, chunk: list[StreamVisit], pending: _Pending
    ) -> int:
        """Add ``chunk`` (events of one hour, in order) to the hour's item; what its watermarks
        show counted already is dropped (and, for the old aggregator's, from the counters too)."""
        breakdowns = destinations = True
        while chunk:
            delta = deltas([visit.visit for visit in chunk])[hour]
            counters = delta.counters(breakdowns=breakdowns, destinations=destinations)
            names = {f"#a{i}": name for i, name in enumerate(counters)}
            names |= {"#n": WATERMARK_PREFIX + shard_tag(shard), "#w": LEGACY_WATERMARK_PREFIX + shard}
            values: dict[str, object] = {f":a{i}": value for i, value in enumerate(counters.values())}
            values |= {
                ":first": chunk[0].position,
                ":last": chunk[-1].position,
                ":wfirst": legacy_position(chunk[0].position),
            }
            adds = ", ".join(f"#a{i} :a{i}" for i in range(len(counters)))
            update: UpdateItemInputTypeDef = {
                "TableName": self.rollups_table,
                "Key": to_item({"key": key, "bucket": hour}),
                "UpdateExpression": (f"ADD {adds} " if adds else "") + "SET #n = :last",
                "ConditionExpression": (
                    "(attribute_not_exists(#n) OR #n < :first) AND (attribute_not_exists(#w) OR #w < :wfirst)"
                ),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": to_item(values),
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
            try:
                with dependency_guard():
                    self.client.update_item(**update)
                return len(chunk)
            except ClientError as error:
                code = error_code(error)
                if code == TOO_BIG and breakdowns:
                    # Thousands of distinct referrers in one hour: the item keeps counting visits
                    # and destinations (a few numbers) exactly and takes no new breakdown values
                    # (logged); past even that, visits alone.
                    logger.warning("rollups full", extra={"key": key, "buckets": [hour]})
                    breakdowns = False
                    continue
                if code == TOO_BIG and destinations:
                    destinations = False
                    continue
                if code == TOO_BIG:
                    raise DependencyUnavailable(f"the rollup {hour} of {key} is full") from error
                if code != CONDITION_FAILED:
                    raise
                old = from_item(old_item(error) or {})
            legacy = from_legacy(_watermark_position(old.get(LEGACY_WATERMARK_PREFIX + shard)))
            mine = _watermark_position(old.get(WATERMARK_PREFIX + shard_tag(shard)))
            pending.legacy |= {visit.position for visit in chunk if visit.position <= legacy}
            new = [visit for visit in chunk if visit.position > max(legacy, mine)]
            if len(new) == len(chunk):  # a failed condition always covers the chunk's first
                raise DependencyUnavailable(f"the watermarks of {key} {hour} dropped nothing")
            chunk = new
        return 0

    def _count_link(self, key: str, shard: str, chunk: list[StreamVisit], outcome: Counted) -> None:
        """Add ``chunk``'s visits (those the redirect did not count itself: ``counted``) to the
        link's counters item, once, unless it is frozen; ``outcome`` learns which are on it."""
        while chunk:
            mine = [visit.visit.event for visit in chunk if not visit.visit.event.counted]
            humans = [event.at for event in mine if not event.bot]
            if not mine:
                return  # resolve counted every one of them: nothing to add
            names = {
                "#v": VISITS,
                "#b": BOT_VISITS,
                "#n": WATERMARK_PREFIX + shard_tag(shard),
            }
            values: dict[str, object] = {
                ":v": len(humans),
                ":b": len(mine) - len(humans),
                ":first": chunk[0].position,
                ":mark": f"{chunk[-1].position}@{int(self.epoch())}",
            }
            update = "ADD #v :v, #b :b SET #n = :mark"
            if humans:
                update += ", #l = :at"
                names["#l"] = LATEST_PREFIX + shard_tag(shard)
                values[":at"] = _link_time(max(humans))
            try:
                with dependency_guard():
                    answer = self.client.update_item(
                        TableName=self.rollups_table,
                        Key=to_item({"key": key, "bucket": COUNTERS_BUCKET}),
                        UpdateExpression=update,
                        ConditionExpression=_UNCOUNTED_AND_LIVE,
                        ExpressionAttributeNames=names | {"#f": FROZEN},
                        ExpressionAttributeValues=to_item(values),
                        ReturnValues="ALL_NEW",
                        ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    )
                outcome.settled |= {visit.position for visit in chunk}
                outcome.total = counts_of(from_item(answer.get("Attributes", {}))).visits
                prune_watermarks(
                    self.client,
                    self.rollups_table,
                    key,
                    COUNTERS_BUCKET,
                    from_item(answer.get("Attributes", {})),
                    self.epoch(),
                )
                return
            except ClientError as error:
                if error_code(error) != CONDITION_FAILED:
                    raise
                old = from_item(old_item(error) or {})
            done = _watermark_position(old.get(WATERMARK_PREFIX + shard_tag(shard)))
            outcome.settled |= {visit.position for visit in chunk if visit.position <= done}
            new = [visit for visit in chunk if visit.position > done]
            if FROZEN in old:
                outcome.frozen = True
                return  # the link is deleted: what it had not counted is counted on no item
            if len(new) == len(chunk):
                raise DependencyUnavailable(f"the counters watermark of {key} dropped nothing")
            chunk = new

    # -- the pipeline's progress (stats' as_of) ---------------------------------------------
    def record_progress(self, shard: str, progress: ShardProgress) -> None:
        """Where ``shard`` stands (one plain SET of its attribute on the progress item)."""
        with dependency_guard():
            self.client.update_item(
                TableName=self.rollups_table,
                Key=to_item({"key": PROGRESS_KEY, "bucket": PROGRESS_BUCKET}),
                UpdateExpression="SET #s = :s",
                ExpressionAttributeNames={"#s": PROGRESS_PREFIX + shard},
                ExpressionAttributeValues=to_item({":s": progress.encode()}),
            )

    def progress(self) -> list[ShardProgress]:
        """Every shard's last recorded progress (a consistent read of the progress item)."""
        with dependency_guard():
            found = self.client.get_item(
                TableName=self.rollups_table,
                Key=to_item({"key": PROGRESS_KEY, "bucket": PROGRESS_BUCKET}),
                ConsistentRead=True,
            )
        item = from_item(found.get("Item", {}))
        return [
            ShardProgress.decode(name[len(PROGRESS_PREFIX) :], str(value))
            for name, value in item.items()
            if name.startswith(PROGRESS_PREFIX)
        ]

    # -- reading ---------------------------------------------------------------------------
    def counts(self, keys: Sequence[str]) -> dict[str, LinkCounts]:
        """The counters items of ``keys`` (consistent BatchGetItem); a link never counted is absent."""
        return {key: counts_of(item) for key, item in self.counters_items(keys).items()}

    def counters_items(self, keys: Sequence[str]) -> dict[str, dict[str, object]]:
        """The counters items of ``keys`` as they are (consistent BatchGetItems of 100), by key."""
        found: dict[str, dict[str, object]] = {}
        unique = sorted(set(keys))
        for start in range(0, len(unique), MAX_BATCH_GET):
            pending: Mapping[str, object] | None = {
                self.rollups_table: {
                    "Keys": [
                        to_item({"key": key, "bucket": COUNTERS_BUCKET})
                        for key in unique[start : start + MAX_BATCH_GET]
                    ],
                    "ConsistentRead": True,
                }
            }
            while pending:
                with dependency_guard():
                    response = self.client.batch_get_item(RequestItems=pending)  # type: ignore[arg-type]
                for raw in response.get("Responses", {}).get(self.rollups_table, []):
                    item = from_item(raw)
                    found[str(item["key"])] = item
                pending = response.get("UnprocessedKeys") or None
        return found

    def rollup_items(self, key: str, first: str, last: str) -> list[dict[str, object]]:
        """The link's rollup items with sort keys from ``first`` to ``last`` (inclusive)."""
        items: list[dict[str, object]] = []
        start: Mapping[str, AttributeValueTypeDef] | None = None
        while True:
            args: QueryInputTypeDef = {
                "TableName": self.rollups_table,
                "KeyConditionExpression": "#key = :key AND #bucket BETWEEN :first AND :last",
                "ExpressionAttributeNames": {"#key": "key", "#bucket": "bucket"},
                "ExpressionAttributeValues": to_item({":key": key, ":first": first, ":last": last}),
            }
            if start:
                args["ExclusiveStartKey"] = start
            with dependency_guard():
                response = self.client.query(**args)
            items += [from_item(item) for item in response.get("Items", [])]
            start = response.get("LastEvaluatedKey")
            if not start:
                return items


def prune_watermarks(
    client: DynamoDBClient, table: str, key: str, bucket: str, item: Mapping[str, object], now: float
) -> None:
    """Remove the watermarks (and latest visits) of shards not written for longer than the
    stream keeps a record from the item ``(key, bucket)`` (``item``: as it is now), once
    ``PRUNE_AFTER`` have gathered (one write now and then); each only if it is still what was
    read."""
    horizon = now - RETENTION_SECONDS
    stale = []
    for name, value in item.items():
        stamp = str(value).rpartition("@")[2] if name.startswith(WATERMARK_PREFIX) else ""
        if stamp.isdigit() and int(stamp) < horizon:
            stale.append((name, str(value)))
    if len(stale) < PRUNE_AFTER:
        return
    names: dict[str, str] = {}
    values: dict[str, object] = {}
    removed, conditions = [], []
    for i, (name, value) in enumerate(stale):
        names[f"#n{i}"], names[f"#l{i}"] = name, LATEST_PREFIX + name[len(WATERMARK_PREFIX) :]
        values[f":n{i}"] = value
        removed += [f"#n{i}", f"#l{i}"]
        conditions.append(f"#n{i} = :n{i}")
    try:
        with dependency_guard():
            client.update_item(
                TableName=table,
                Key=to_item({"key": key, "bucket": bucket}),
                UpdateExpression="REMOVE " + ", ".join(removed),
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(values),
            )
    except (DependencyUnavailable, ClientError):
        pass  # counted already; a later batch prunes them


def counts_of(item: Mapping[str, object]) -> LinkCounts:
    """A counters item's numbers: its visits, bot visits, and the latest of its writers' visits."""
    latest = [str(value) for name, value in item.items() if name.startswith(LATEST_PREFIX)]
    return LinkCounts(
        visits=int(str(item.get(VISITS, 0))),
        bot_visits=int(str(item.get(BOT_VISITS, 0))),
        last_visit_at=max(latest) if latest else None,
    )


def chunk_size(visits: Sequence[ClassifiedVisit]) -> int:
    """How many of ``visits`` (one link's, one hour's, in shard order) one update may add: it
    names at most ``MAX_BUCKET_ATTRIBUTES`` numbers."""
    names: set[str] = set()
    for size, visit in enumerate(visits):
        for delta in deltas([visit]).values():
            names.update(delta.counters())
        if len(names) > MAX_BUCKET_ATTRIBUTES:
            return max(1, size)
    return len(visits)


@lru_cache(maxsize=1)
def rollups_table() -> RollupsTable:
    """The execution environment's one RollupsTable (built on first use, never at import)."""
    return RollupsTable(clients.dynamodb(), get_settings().rollups_table)
