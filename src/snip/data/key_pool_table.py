"""The key pool's table: unused short-link keys by shard, and keygen's sizing item.

Claimers (shorten) read candidate keys of one shard and drop stale ones; keygen scans, moves,
adds and trims keys and keeps its sizing between runs. Claiming a key into a link is a
transaction of this table and the links table: ``snip.data.link_creation``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from botocore.exceptions import ClientError

from snip.data.cancellations import CONDITION_FAILED, CONFLICT, cancellation
from snip.data.dependency_guard import MAX_TRANSACTION_ITEMS, dependency_guard
from snip.data.item_codec import attribute_names, deserialize, serialize, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import ScanInputTypeDef, TransactWriteItemTypeDef

# keygen's state between runs lives in one item of the keys table, in a shard no claimer
# reads (claimers query shards 0 .. pool_shards - 1 only).
SIZING_SHARD = -1
SIZING_KEY = "sizing"


class _Condition(TypedDict):
    """The condition part of a transaction's action (shared by its Puts, Deletes and checks)."""

    ConditionExpression: str
    ExpressionAttributeNames: dict[str, str]


@dataclass(frozen=True)
class PoolContents:
    keys: dict[int, list[str]]  # shard -> its unused keys (shards >= 0 only)
    sizing: dict[str, float] | None  # keygen's state from its last run, if any


class KeyPoolTable:
    def __init__(self, client: DynamoDBClient, keys_table: str, links_table: str) -> None:
        self.client = client
        self.keys_table = keys_table
        self.links_table = links_table  # a new or moved pool key is checked against it

    def candidate_keys(self, shard: int, start: str, limit: int, enough: int | None = None) -> list[str]:
        """Up to ``limit`` pool keys of one shard from ``start`` on, wrapping around once if that
        gave fewer than ``enough`` (default: ``limit``)."""
        keys = self._query_pool(shard, limit, "#key >= :start", start)
        if len(keys) < (limit if enough is None else enough) and start:
            keys += self._query_pool(shard, limit - len(keys), "#key < :start", start)
        return keys

    def _query_pool(self, shard: int, limit: int, range_condition: str, start: str) -> list[str]:
        if not start:
            range_condition, start = "#key > :start", ""
        with dependency_guard():
            response = self.client.query(
                TableName=self.keys_table,
                KeyConditionExpression=f"#shard = :shard AND {range_condition}",
                ExpressionAttributeNames=attribute_names("shard", "key"),
                ExpressionAttributeValues=to_item({":shard": shard, ":start": start}),
                ProjectionExpression="#key",
                Limit=limit,
            )
        return [item["key"]["S"] for item in response.get("Items", [])]

    def discard_pool_key(self, shard: int, key: str) -> None:
        with dependency_guard():
            self.client.delete_item(TableName=self.keys_table, Key=to_item({"shard": shard, "key": key}))

    def pool_sizes(self) -> dict[int, int]:
        """Unused keys per shard (the sizing item left out)."""
        return {shard: len(keys) for shard, keys in self.pool_contents().keys.items()}

    def pool_contents(self) -> PoolContents:
        """Every unused key by shard, and keygen's sizing item, in one Scan.

        The pool is small by design and a Scan is charged by the items it reads, projection or
        not: reading the keys costs what counting them costs, and lets keygen find keys that sit
        in a shard other than the one their hash names (after a change of ``pool_shards``).
        """
        keys: dict[int, list[str]] = {}
        sizing: dict[str, float] | None = None
        start = None
        while True:
            args: ScanInputTypeDef = {
                "TableName": self.keys_table,
                "ProjectionExpression": "#shard, #key, #sizing",
                "ExpressionAttributeNames": attribute_names("shard", "key", "sizing"),
            }
            if start:
                args["ExclusiveStartKey"] = start
            with dependency_guard():
                response = self.client.scan(**args)
            for item in response.get("Items", []):
                shard = int(item["shard"]["N"])
                if shard == SIZING_SHARD:
                    raw = deserialize(item.get("sizing", {"M": {}}))
                    stored = raw if isinstance(raw, dict) else {}
                    sizing = {str(name): float(value) for name, value in stored.items()}
                elif shard >= 0:
                    keys.setdefault(shard, []).append(item["key"]["S"])
            start = response.get("LastEvaluatedKey")
            if not start:
                return PoolContents(keys, sizing)

    def save_pool_sizing(self, sizing: Mapping[str, float]) -> None:
        item = {"shard": SIZING_SHARD, "key": SIZING_KEY}
        values = {name: Decimal(str(round(value, 6))) for name, value in sizing.items()}
        with dependency_guard():
            self.client.put_item(
                TableName=self.keys_table, Item={**to_item(item), "sizing": serialize(values)}
            )

    def move_pool_keys(self, moves: Mapping[str, tuple[int, int]]) -> tuple[set[str], set[str]]:
        """Move unused keys (key -> (from shard, to shard)) in one transaction.

        Each move deletes the old item only if it is still there (a claimer may have taken it),
        puts the new one only if the key is in neither the new shard nor the links table. A
        claimer that read the key from its old shard then loses its claim ("claimed") and tries
        another key: a key is never given to two links. Returns (stale, busy): keys that must not
        move (gone, already in the new shard, or used by a link: the old copy is to be dropped),
        and keys another request was writing (to try again on a later run). If either is not
        empty, nothing was written.
        """
        actions: list[TransactWriteItemTypeDef] = []
        names = attribute_names("key")
        exists: _Condition = {
            "ConditionExpression": "attribute_exists(#key)",
            "ExpressionAttributeNames": names,
        }
        absent: _Condition = {
            "ConditionExpression": "attribute_not_exists(#key)",
            "ExpressionAttributeNames": names,
        }
        keys, links = self.keys_table, self.links_table
        for key, (old, new) in moves.items():
            actions += [
                {"Delete": {"TableName": keys, "Key": to_item({"shard": old, "key": key}), **exists}},
                {"Put": {"TableName": keys, "Item": to_item({"shard": new, "key": key}), **absent}},
                {"ConditionCheck": {"TableName": links, "Key": to_item({"key": key}), **absent}},
            ]
        blamed = self._pool_transaction(actions, list(moves), per_key=3, what="move")
        stale = {key for key, codes in blamed.items() if CONDITION_FAILED in codes}
        busy = {key for key, codes in blamed.items() if CONFLICT in codes}
        return stale, busy - stale

    def add_pool_keys(self, keys: Mapping[str, int]) -> set[str]:
        """Put new keys (key → shard) into the pool in one transaction.

        Every key is checked in the same request against the pool (conditional put) and the
        links table (condition check). Returns the keys that collided; if any did, nothing was
        written and the caller retries without them.
        """
        actions: list[TransactWriteItemTypeDef] = []
        absent: _Condition = {
            "ConditionExpression": "attribute_not_exists(#key)",
            "ExpressionAttributeNames": attribute_names("key"),
        }
        for key, shard in keys.items():
            actions.append(
                {
                    "Put": {
                        "TableName": self.keys_table,
                        "Item": to_item({"shard": shard, "key": key}),
                        **absent,
                    }
                }
            )
            actions.append(
                {"ConditionCheck": {"TableName": self.links_table, "Key": to_item({"key": key}), **absent}}
            )
        return set(self._pool_transaction(actions, list(keys), per_key=2, what="refill"))

    def _pool_transaction(
        self, actions: list[TransactWriteItemTypeDef], ordered: list[str], *, per_key: int, what: str
    ) -> dict[str, set[str]]:
        """Send one transaction of ``per_key`` actions per key (in ``ordered`` order): {} when it
        went through, else each blamed key's cancellation codes (ConditionalCheckFailed: the key is
        not where it should be; TransactionConflict: another request holds it). A cancellation that
        blames no key (throttling) is DependencyUnavailable."""
        if len(actions) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"at most {MAX_TRANSACTION_ITEMS // per_key} keys per transaction")
        try:
            with dependency_guard():
                self.client.transact_write_items(TransactItems=actions)
        except ClientError as error:
            cancelled = cancellation(error)
            blamed: dict[str, set[str]] = {}
            for i, code in enumerate(cancelled.codes):
                if code in (CONDITION_FAILED, CONFLICT):
                    blamed.setdefault(ordered[i // per_key], set()).add(code)
            if not blamed:
                raise cancelled.unavailable(what) from error
            return blamed
        return {}
