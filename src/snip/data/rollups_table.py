"""The aggregator's and the stats' DynamoDB requests: counting visit events exactly once, reading rollups.

The links API and the redirect never load it.

Exactly once, by a watermark per link, stream shard and hour. Lambda reads each shard of the
visits table's stream in order, one batch at a time (parallelization factor 1), and delivers again
from the first record a batch reported failed; a record seen a second time may come out of order,
but only after it was delivered in order once (AWS Lambda, "tumbling windows" and "batch item
failures"). So what a shard has counted of a link is a prefix of that link's records in the
shard. Each ``TransactWriteItems`` that adds a link's events of one shard to its hour and day
rollups and to the link's counters also sets, on every hour rollup it touches, the attribute
``w#<shard id>`` to the last of those events' sequence numbers, on the condition that it is below
the first of them. A record counted once has moved its hour's watermark to at least its own
number, so any later transaction holding it again cancels; a record not counted yet lies above
every watermark of its shard. A batch delivered twice, retried after a partial failure or
bisected cancels; ``CancellationReasons`` (ALL_OLD) give each hour's watermark, the events at or
below their hour's are dropped and the rest is sent again. An answer lost after the transaction
was applied is the same case (within botocore's retries its ClientRequestToken answers the first
result). Batches of different shards arrive in any order: each shard has its own attribute.

This costs one transactional write per link and batch instead of one per event, and no item of
its own: the watermark rides on the hour rollups the transaction writes anyway (a link visited
once in a batch: its hour, its day and the link, 6 WRU). The events themselves are never written
again (their stream record is all the aggregator needs).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from snip.data import clients
from snip.data.cancellations import CONDITION_FAILED, CONFLICT, TOO_BIG, cancellation
from snip.data.dependency_guard import MAX_TRANSACTION_ITEMS, dependency_guard
from snip.data.item_codec import from_item, to_item
from snip.data.link_items import LAST_VISIT_AT
from snip.domain.errors import DependencyUnavailable
from snip.domain.rollups import BOT_VISITS, HOUR_PREFIX, VISITS, ClassifiedVisit, deltas, hour_of
from snip.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        QueryInputTypeDef,
        TransactWriteItemTypeDef,
        UpdateTypeDef,
    )

# The only top-level attributes the aggregator's link UpdateItems name (IAM's dynamodb:Attributes,
# infra/snip_stack.py): the link's key and the counters. Never a
# link's URL or owner.
COUNTED_LINK_ATTRIBUTES = ("key", VISITS, BOT_VISITS, LAST_VISIT_AT)
WATERMARK_PREFIX = "w#"  # on an hour rollup: w#<shard id>, the highest sequence number counted
# The TTL attribute of the rollups table: earlier versions kept watermarks as items of their own
# (bucket ``w#<shard id>``, attribute ``counted_to``) that carried it; TTL removes the last of them.
# A bucket never has it.
WATERMARK_EXPIRES = "expires"
SEQUENCE_WIDTH = 40  # DynamoDB Streams sequence numbers have 21 to 40 digits
MAX_BUCKET_ATTRIBUTES = 150  # breakdown numbers per rollup update: keeps the expression under 4 KB
CONFLICT_ATTEMPTS = 5  # TransactionConflict: another shard's transaction on the same items; try again
logger = Logger(child=True)  # the aggregator's and shorten's (stats) Powertools Logger


def _link_time(at: str) -> str:
    """An event's time (milliseconds) in the links table's format (seconds, ``Z``)."""
    return at[:19] + "Z"


def position(sequence_number: str) -> str:
    """A stream sequence number as a string that sorts as the number does (DynamoDB compares
    strings byte by byte, and sequence numbers vary in length)."""
    return sequence_number.zfill(SEQUENCE_WIDTH)


@dataclass(frozen=True)
class StreamVisit:
    """A classified visit and where it sits in its shard."""

    position: str  # ``position(SequenceNumber)``
    visit: ClassifiedVisit


@dataclass
class _LinkUpdate:
    counted: bool = True  # add to the link's visits (False: no such link item)
    stamp: bool = True  # move last_visit_at forward (False: it is already later)


def _counts_link(chunk: list[StreamVisit], link: _LinkUpdate) -> bool:
    """Whether the chunk's transaction updates the link: only for events the redirect did not
    count itself (an event says so: ``counted``, a link with max_visits), and only while the link
    item exists."""
    return link.counted and any(not visit.visit.event.counted for visit in chunk)


class RollupsTable:
    def __init__(self, client: DynamoDBClient, links_table: str, rollups_table: str) -> None:
        self.client = client
        self.links_table = links_table
        self.rollups_table = rollups_table

    # -- counting --------------------------------------------------------------------------
    def count(self, key: str, shard: str, visits: Sequence[StreamVisit]) -> int:
        """Count one link's visits of one shard exactly once; returns how many this call counted."""
        pending = sorted({visit.position: visit for visit in visits}.values(), key=lambda v: v.position)
        counted = 0
        while pending:
            size = chunk_size([visit.visit for visit in pending])
            counted += self._count_chunk(key, shard, pending[:size])
            pending = pending[size:]
        return counted

    def _count_chunk(self, key: str, shard: str, chunk: list[StreamVisit]) -> int:
        link = _LinkUpdate()
        conflicts = 0
        full: set[str] = set()  # buckets whose item cannot grow: they count visits, no new breakdowns
        while chunk:
            buckets, actions = self._actions(key, shard, chunk, link, full)
            sent_link = _counts_link(chunk, link)
            try:
                with dependency_guard():
                    # No ClientRequestToken of our own (botocore's covers its retries): the
                    # watermark decides a repeat, which then reports its events as repeated.
                    self.client.transact_write_items(TransactItems=actions)
                return len(chunk)
            except ClientError as error:
                cancelled = cancellation(error)
            codes = cancelled.codes
            if CONFLICT in codes and CONDITION_FAILED not in codes:
                conflicts += 1
                if conflicts >= CONFLICT_ATTEMPTS:
                    raise DependencyUnavailable(f"DynamoDB cancelled the count: {codes}")
                time.sleep(0.05 * 2**conflicts)
                continue
            if set(codes) - {"None", CONDITION_FAILED, TOO_BIG} or len(codes) != len(actions):
                raise DependencyUnavailable(f"DynamoDB cancelled the count: {codes}")
            too_big = {bucket for bucket, code in zip(buckets, codes, strict=False) if code == TOO_BIG}
            if too_big & full or TOO_BIG in codes[len(buckets) :]:
                raise DependencyUnavailable(f"a rollup or link item of {key} is full: {codes}")
            if too_big:
                # Thousands of distinct referrers in one hour or day: that item keeps counting
                # visits exactly and takes no new breakdown values (logged by the aggregator).
                logger.warning("rollups full", extra={"key": key, "buckets": sorted(too_big)})
                full |= too_big
            if sent_link and codes[-1] == CONDITION_FAILED:
                if cancelled.item(len(codes) - 1) is None:
                    link.counted = False  # no such link: the rollups still count the visits
                else:
                    link.stamp = False  # a later visit was stamped already (another shard's)
            watermarks = {
                bucket: str((cancelled.item(action) or {}).get(WATERMARK_PREFIX + shard, ""))
                for action, bucket in enumerate(buckets[: len(codes)])
                if bucket.startswith(HOUR_PREFIX) and codes[action] == CONDITION_FAILED
            }
            if watermarks:
                new = [
                    visit
                    for visit in chunk
                    if visit.position > watermarks.get(hour_of(visit.visit.event.at), "")
                ]
                if len(new) == len(chunk):  # a failed condition always covers the chunk's first
                    raise DependencyUnavailable(f"the watermarks of {key} dropped nothing: {codes}")
                chunk = new
        return 0

    def _actions(
        self, key: str, shard: str, chunk: list[StreamVisit], link: _LinkUpdate, full: set[str]
    ) -> tuple[list[str], list[TransactWriteItemTypeDef]]:
        """The transaction's updates, and the rollup bucket of each (the link's update, last, has none)."""
        buckets: list[str] = []
        actions: list[TransactWriteItemTypeDef] = []
        for bucket_key, delta in sorted(deltas([visit.visit for visit in chunk]).items()):
            counters = delta.counters(breakdowns=bucket_key not in full)
            names = {f"#a{i}": name for i, name in enumerate(counters)}
            values: dict[str, object] = {f":a{i}": value for i, value in enumerate(counters.values())}
            update: UpdateTypeDef = {
                "TableName": self.rollups_table,
                "Key": to_item({"key": key, "bucket": bucket_key}),
                "UpdateExpression": "ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(counters))),
            }
            if bucket_key.startswith(HOUR_PREFIX):  # the watermark rides on every hour it touches
                update["UpdateExpression"] += " SET #w = :last"
                update["ConditionExpression"] = "attribute_not_exists(#w) OR #w < :first"
                update["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
                names["#w"] = WATERMARK_PREFIX + shard
                values |= {":first": chunk[0].position, ":last": chunk[-1].position}
            update |= {"ExpressionAttributeNames": names, "ExpressionAttributeValues": to_item(values)}
            buckets.append(bucket_key)
            actions.append({"Update": update})
        if _counts_link(chunk, link):
            actions.append({"Update": self._link_update(key, chunk, link)})
        return buckets, actions

    def _link_update(self, key: str, chunk: list[StreamVisit], link: _LinkUpdate) -> UpdateTypeDef:
        mine = [visit.visit.event for visit in chunk if not visit.visit.event.counted]
        humans = [event.at for event in mine if not event.bot]
        bots = len(mine) - len(humans)
        update = f"ADD #{VISITS} :visits, #{BOT_VISITS} :bots"
        # Not conditioned on max_visits: whether the redirect counted a visit is the event's to say
        # (``counted``), not the link's as it is now (max_visits may have been set since).
        condition = "attribute_exists(#key)"
        names = {
            "#key": "key",
            f"#{VISITS}": VISITS,
            f"#{BOT_VISITS}": BOT_VISITS,
        }
        values: dict[str, object] = {":visits": len(humans), ":bots": bots}
        if humans and link.stamp:
            update += f" SET #{LAST_VISIT_AT} = :at"
            condition += f" AND (attribute_not_exists(#{LAST_VISIT_AT}) OR #{LAST_VISIT_AT} <= :at)"
            names[f"#{LAST_VISIT_AT}"] = LAST_VISIT_AT
            values[":at"] = _link_time(max(humans))
        return {
            "TableName": self.links_table,
            "Key": to_item({"key": key}),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_item(values),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }

    # -- reading ---------------------------------------------------------------------------
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


def chunk_size(visits: Sequence[ClassifiedVisit]) -> int:
    """How many of ``visits`` (one link's, in shard order) fit one transaction: an update per
    bucket and one of the link make at most 100 items, and each bucket update names at most
    ``MAX_BUCKET_ATTRIBUTES`` numbers."""
    buckets: dict[str, set[str]] = {}
    for size, visit in enumerate(visits):
        for name, delta in deltas([visit]).items():
            buckets.setdefault(name, set()).update(delta.counters())
        too_big = any(len(names) > MAX_BUCKET_ATTRIBUTES for names in buckets.values())
        if len(buckets) + 1 > MAX_TRANSACTION_ITEMS or too_big:
            return max(1, size)
    return len(visits)


@lru_cache(maxsize=1)
def rollups_table() -> RollupsTable:
    """The execution environment's one RollupsTable (built on first use, never at import)."""
    settings = get_settings()
    return RollupsTable(clients.dynamodb(), settings.links_table, settings.rollups_table)
