"""The aggregator's and the stats' DynamoDB requests: counting visit events exactly once, reading rollups.

A sibling of ``snip.store`` (whose error handling it shares): the links API and the redirect
never load it.

Exactly once. Each event's own item in the visits table is marked ``aggregated`` in the same
``TransactWriteItems`` that adds it to the link's hour and day rollups and to the link's counters,
on the condition that it was not marked before. So a batch delivered twice, retried after a
partial failure, bisected or reordered cancels on its already-counted events; the transaction
is sent again without them (``CancellationReasons`` say which), and each event is counted by
exactly one transaction. An answer lost after the transaction was applied is the same case: its
repeat cancels on its own marks (or, within botocore's retries, answers the first result by the
call's ClientRequestToken) and counts nothing twice.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from botocore.exceptions import ClientError

from snip import aws
from snip.errors import DependencyUnavailable
from snip.rollups import BOT_VISITS, VISITS, ClassifiedVisit, deltas
from snip.settings import get_settings
from snip.store import (
    LAST_VISIT_AT,
    MAX_TRANSACTION_ITEMS,
    dependency_guard,
    from_item,
    to_item,
)

AGGREGATED = "aggregated"  # on a visit item: counted by the aggregator (its only write there)
# The only top-level attributes the aggregator's requests name, per table (IAM's
# dynamodb:Attributes on its UpdateItems, infra/visit_pipeline.py): a visit's key and mark; a
# link's key, the condition's max_visits and the counters. Never a link's URL or owner.
MARK_ATTRIBUTES = ("id", AGGREGATED)
COUNTED_LINK_ATTRIBUTES = ("key", "max_visits", VISITS, BOT_VISITS, LAST_VISIT_AT)
MAX_BUCKET_ATTRIBUTES = 150  # breakdown numbers per rollup update: keeps the expression under 4 KB
CONFLICT_ATTEMPTS = 5  # TransactionConflict: another transaction on the same items; try again
_CONDITION_FAILED = "ConditionalCheckFailed"


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _link_time(at: str) -> str:
    """An event's time (milliseconds) in the links table's format (seconds, ``Z``)."""
    return at[:19] + "Z"


@dataclass
class _LinkUpdate:
    counted: bool = True  # add to the link's visits (False: the link has max_visits, or is unknown)
    stamp: bool = True  # move last_visit_at forward (False: it is already later)


class VisitStore:
    def __init__(self, client: Any, links_table: str, visits_table: str, rollups_table: str) -> None:
        self.client = client
        self.links_table = links_table
        self.visits_table = visits_table
        self.rollups_table = rollups_table

    # -- counting --------------------------------------------------------------------------
    def count(self, key: str, visits: Sequence[ClassifiedVisit]) -> int:
        """Count one link's visits exactly once; returns how many this call counted."""
        pending = list({visit.event.id: visit for visit in visits}.values())
        counted = 0
        while pending:
            size = chunk_size(pending)
            counted += self._count_chunk(key, pending[:size])
            pending = pending[size:]
        return counted

    def _count_chunk(self, key: str, chunk: list[ClassifiedVisit]) -> int:
        link = _LinkUpdate()
        conflicts = 0
        while chunk:
            actions = self._actions(key, chunk, link)
            try:
                with dependency_guard():
                    # No ClientRequestToken of our own (botocore's covers its retries): the marks decide
                    # a repeat, and a repeated batch then reports its events as repeated, not counted.
                    self.client.transact_write_items(TransactItems=actions)
                return len(chunk)
            except ClientError as error:
                if _code(error) != "TransactionCanceledException":
                    raise
                reasons = error.response.get("CancellationReasons", [])
            codes = [reason.get("Code") or "None" for reason in reasons]
            if "TransactionConflict" in codes and _CONDITION_FAILED not in codes:
                conflicts += 1
                if conflicts >= CONFLICT_ATTEMPTS:
                    raise DependencyUnavailable(f"DynamoDB cancelled the count: {codes}")
                time.sleep(0.05 * 2**conflicts)
                continue
            if set(codes) - {"None", _CONDITION_FAILED}:
                raise DependencyUnavailable(f"DynamoDB cancelled the count: {codes}")
            done = {
                chunk[i].event.id for i, code in enumerate(codes[: len(chunk)]) if code == _CONDITION_FAILED
            }
            chunk = [visit for visit in chunk if visit.event.id not in done]
            link_reason = reasons[-1] if len(reasons) == len(actions) and link.counted else {}
            if link_reason.get("Code") == _CONDITION_FAILED:
                stored = from_item(link_reason["Item"]) if link_reason.get("Item") else None
                if stored is None or stored.get("max_visits") is not None:
                    link.counted = False  # resolve counts a link with max_visits itself
                else:
                    link.stamp = False  # a later visit was stamped already (reordered batches)
        return 0

    def _actions(self, key: str, chunk: list[ClassifiedVisit], link: _LinkUpdate) -> list[dict[str, Any]]:
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.visits_table,
                    "Key": to_item({"id": visit.event.id}),
                    "UpdateExpression": "SET #aggregated = :true",
                    "ConditionExpression": "attribute_exists(#id) AND attribute_not_exists(#aggregated)",
                    "ExpressionAttributeNames": {"#id": "id", "#aggregated": AGGREGATED},
                    "ExpressionAttributeValues": to_item({":true": True}),
                }
            }
            for visit in chunk
        ]
        for bucket_key, delta in sorted(deltas(chunk).items()):
            counters = delta.counters()
            names = {f"#a{i}": name for i, name in enumerate(counters)}
            values = {f":a{i}": value for i, value in enumerate(counters.values())}
            actions.append(
                {
                    "Update": {
                        "TableName": self.rollups_table,
                        "Key": to_item({"key": key, "bucket": bucket_key}),
                        "UpdateExpression": "ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(counters))),
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": to_item(values),
                    }
                }
            )
        if link.counted:
            actions.append({"Update": self._link_update(key, chunk, link)})
        return actions

    def _link_update(self, key: str, chunk: list[ClassifiedVisit], link: _LinkUpdate) -> dict[str, Any]:
        humans = [visit.event.at for visit in chunk if not visit.event.bot]
        bots = len(chunk) - len(humans)
        update = f"ADD #{VISITS} :visits, #{BOT_VISITS} :bots"
        condition = "attribute_exists(#key) AND attribute_not_exists(#max_visits)"
        names = {
            "#key": "key",
            "#max_visits": "max_visits",
            f"#{VISITS}": VISITS,
            f"#{BOT_VISITS}": BOT_VISITS,
        }
        values: dict[str, Any] = {":visits": len(humans), ":bots": bots}
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
    def rollup_items(self, key: str, first: str, last: str) -> list[dict[str, Any]]:
        """The link's rollup items with sort keys from ``first`` to ``last`` (inclusive)."""
        items: list[dict[str, Any]] = []
        start: Mapping[str, Any] | None = None
        while True:
            args: dict[str, Any] = {
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
    """How many of ``visits`` (one link's) fit one transaction: a mark per visit, an update per
    bucket and one of the link make at most 100 items, each bucket update names at most
    ``MAX_BUCKET_ATTRIBUTES`` numbers."""
    buckets: dict[str, set[str]] = {}
    for size, visit in enumerate(visits):
        for name, delta in deltas([visit]).items():
            buckets.setdefault(name, set()).update(delta.counters())
        too_big = any(len(names) > MAX_BUCKET_ATTRIBUTES for names in buckets.values())
        if size + 1 + len(buckets) + 1 > MAX_TRANSACTION_ITEMS or too_big:
            return max(1, size)
    return len(visits)


@lru_cache(maxsize=1)
def visit_store() -> VisitStore:
    """The execution environment's one VisitStore (built on first use, never at import)."""
    settings = get_settings()
    return VisitStore(aws.dynamodb(), settings.links_table, settings.visits_table, settings.rollups_table)
