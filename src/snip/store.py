"""The one module that talks to DynamoDB.

It speaks in domain terms: callers hand it plain dicts and get domain exceptions back, decided
from error codes and CancellationReasons, never from message text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError, HTTPClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as BotoConnectionError

from snip.errors import DependencyUnavailable, KeyClaimConflict, KeyTaken, LinkGone, LinkNotFound

# Errors that mean "DynamoDB could not do it now", after the SDK's own retries.
_UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)
_CONDITION_FAILED = "ConditionalCheckFailed"
MAX_TRANSACTION_ITEMS = 100

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in data.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: _deserializer.deserialize(v) for k, v in item.items()}
    return {k: int(v) if isinstance(v, Decimal) else v for k, v in out.items()}


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def dependency_guard() -> Iterator[None]:
    """Turn DynamoDB's transient failures into DependencyUnavailable (→ 503 + Retry-After)."""
    try:
        yield
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if _code(error) in _UNAVAILABLE_CODES or status >= 500:
            raise DependencyUnavailable(f"DynamoDB: {_code(error)}", ambiguous=status >= 500) from error
        raise
    except (HTTPClientError, BotoConnectionError) as error:  # timeouts, dropped connections
        unreachable = f"DynamoDB unreachable: {type(error).__name__}"
        raise DependencyUnavailable(unreachable, ambiguous=True) from error
    except NoCredentialsError as error:
        raise DependencyUnavailable("DynamoDB: no credentials") from error


def _names(*attrs: str) -> dict[str, str]:
    return {f"#{a}": a for a in attrs}


# Conditions under which a link redirects; the same rules as ``links.is_active`` in Python.
_ACTIVE = (
    "attribute_exists(#key) AND attribute_not_exists(#deleted_at) AND #disabled = :false"
    " AND (attribute_not_exists(#expires_at) OR #expires_at > :now)"
    " AND (attribute_not_exists(#max_visits) OR #visits < #max_visits)"
)
_OWNED = "attribute_exists(#key) AND #owner = :owner AND attribute_not_exists(#deleted_at)"


class Store:
    def __init__(self, client: Any, links_table: str, keys_table: str) -> None:
        self.client = client
        self.links_table = links_table
        self.keys_table = keys_table

    # -- links ---------------------------------------------------------------------------
    def claim_key(self, shard: int, key: str, link: Mapping[str, Any]) -> None:
        """Move ``key`` from the pool into a new link, atomically (one TransactWriteItems)."""
        actions = [
            {
                "Delete": {
                    "TableName": self.keys_table,
                    "Key": to_item({"shard": shard, "key": key}),
                    "ConditionExpression": "attribute_exists(#key)",
                    "ExpressionAttributeNames": _names("key"),
                }
            },
            {"Put": self._new_link_put(link)},
        ]
        try:
            with self._checked_write(link):
                self.client.transact_write_items(TransactItems=actions)
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            codes = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
            if len(codes) > 1 and codes[1] == _CONDITION_FAILED:
                raise KeyClaimConflict("used") from error
            if codes and codes[0] == _CONDITION_FAILED:
                raise KeyClaimConflict("claimed") from error
            if "TransactionConflict" in codes:
                raise KeyClaimConflict("conflict") from error
            raise DependencyUnavailable(f"DynamoDB cancelled the claim: {codes}") from error

    def put_link(self, link: Mapping[str, Any]) -> None:
        """Write a new link under a key nobody has used (alias, or a key generated inline)."""
        try:
            with self._checked_write(link):
                self.client.put_item(**self._new_link_put(link))
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                raise KeyTaken(link["key"]) from error
            raise

    @contextmanager
    def _checked_write(self, link: Mapping[str, Any]) -> Iterator[None]:
        """Like ``dependency_guard``, but a write whose outcome is unknown (its answer was lost)
        is looked up: if the link is there as we wrote it, the write happened."""
        try:
            with dependency_guard():
                yield
        except DependencyUnavailable as error:
            if not error.ambiguous or not self._holds(link):
                raise

    def _holds(self, link: Mapping[str, Any]) -> bool:
        try:
            stored = self.get_link(link["key"], consistent=True)
        except DependencyUnavailable:
            return False
        return stored is not None and all(
            stored.get(name) == link.get(name) for name in ("owner", "created_at", "url")
        )

    def _new_link_put(self, link: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "TableName": self.links_table,
            "Item": to_item(link),
            "ConditionExpression": "attribute_not_exists(#key)",
            "ExpressionAttributeNames": _names("key"),
        }

    def get_link(self, key: str, *, consistent: bool) -> dict[str, Any] | None:
        with dependency_guard():
            response = self.client.get_item(
                TableName=self.links_table, Key=to_item({"key": key}), ConsistentRead=consistent
            )
        item = response.get("Item")
        return from_item(item) if item else None

    def update_link(
        self, key: str, owner: str, changes: Mapping[str, Any], removals: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Set ``changes`` and remove ``removals`` on the owner's live link; LinkNotFound otherwise."""
        names = _names("key", "owner", "deleted_at", *changes, *removals)
        values = to_item({":owner": owner, **{f":{k}": v for k, v in changes.items()}})
        expression = ""
        if changes:
            expression += "SET " + ", ".join(f"#{k} = :{k}" for k in changes)
        if removals:
            expression += " REMOVE " + ", ".join(f"#{k}" for k in removals)
        try:
            with dependency_guard():
                response = self.client.update_item(
                    TableName=self.links_table,
                    Key=to_item({"key": key}),
                    UpdateExpression=expression.strip(),
                    ConditionExpression=_OWNED,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                raise LinkNotFound("No link with this key.") from error
            raise
        return from_item(response["Attributes"])

    def record_visit(self, key: str, now: str, *, bot: bool) -> dict[str, Any]:
        """Count one visit if the link is active, in one UpdateItem; returns the updated link.

        A bot's visit is counted apart and never spends ``max_visits``.
        """
        counter = "bot_visits" if bot else "visits"
        update = f"SET #{counter} = if_not_exists(#{counter}, :zero) + :one"
        if not bot:
            update += ", #last_visit_at = :now"
        names = _names("key", "deleted_at", "disabled", "expires_at", "max_visits", "visits", counter)
        if not bot:
            names.update(_names("last_visit_at"))
        try:
            with dependency_guard():
                response = self.client.update_item(
                    TableName=self.links_table,
                    Key=to_item({"key": key}),
                    UpdateExpression=update,
                    ConditionExpression=_ACTIVE,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=to_item({":zero": 0, ":one": 1, ":now": now, ":false": False}),
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            if _code(error) != "ConditionalCheckFailedException":
                raise
            if error.response.get("Item"):
                raise LinkGone("This link is no longer active.") from error
            raise LinkNotFound("No link with this key.") from error
        return from_item(response["Attributes"])

    # -- the key pool --------------------------------------------------------------------
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
                ExpressionAttributeNames=_names("shard", "key"),
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
            args: dict[str, Any] = {
                "TableName": self.keys_table,
                "ProjectionExpression": "#shard, #key, #sizing",
                "ExpressionAttributeNames": _names("shard", "key", "sizing"),
            }
            if start:
                args["ExclusiveStartKey"] = start
            with dependency_guard():
                response = self.client.scan(**args)
            for item in response.get("Items", []):
                shard = int(item["shard"]["N"])
                if shard == self.SIZING_SHARD:
                    raw = _deserializer.deserialize(item.get("sizing", {"M": {}}))
                    sizing = {name: float(value) for name, value in raw.items()}
                elif shard >= 0:
                    keys.setdefault(shard, []).append(item["key"]["S"])
            start = response.get("LastEvaluatedKey")
            if not start:
                return PoolContents(keys, sizing)

    # keygen's state between runs lives in one item of the keys table, in a shard no claimer
    # reads (claimers query shards 0 .. pool_shards - 1 only).
    SIZING_SHARD = -1
    SIZING_KEY = "sizing"

    def save_pool_sizing(self, sizing: Mapping[str, float]) -> None:
        item = {"shard": self.SIZING_SHARD, "key": self.SIZING_KEY}
        values = {name: Decimal(str(round(value, 6))) for name, value in sizing.items()}
        with dependency_guard():
            self.client.put_item(
                TableName=self.keys_table, Item={**to_item(item), "sizing": _serializer.serialize(values)}
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
        actions: list[dict[str, Any]] = []
        names = _names("key")
        exists = {"ConditionExpression": "attribute_exists(#key)", "ExpressionAttributeNames": names}
        absent = {"ConditionExpression": "attribute_not_exists(#key)", "ExpressionAttributeNames": names}
        keys, links = self.keys_table, self.links_table
        for key, (old, new) in moves.items():
            actions += [
                {"Delete": {"TableName": keys, "Key": to_item({"shard": old, "key": key}), **exists}},
                {"Put": {"TableName": keys, "Item": to_item({"shard": new, "key": key}), **absent}},
                {"ConditionCheck": {"TableName": links, "Key": to_item({"key": key}), **absent}},
            ]
        if len(actions) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"at most {MAX_TRANSACTION_ITEMS // 3} keys per transaction")
        try:
            with dependency_guard():
                self.client.transact_write_items(TransactItems=actions)
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            codes = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            ordered = list(moves)
            stale = {ordered[i // 3] for i, code in enumerate(codes) if code == _CONDITION_FAILED}
            busy = {ordered[i // 3] for i, code in enumerate(codes) if code == "TransactionConflict"}
            if not stale and not busy:
                raise DependencyUnavailable(f"DynamoDB cancelled the move: {codes}") from error
            return stale, busy - stale
        return set(), set()

    def add_pool_keys(self, keys: Mapping[str, int]) -> set[str]:
        """Put new keys (key → shard) into the pool in one transaction.

        Every key is checked in the same request against the pool (conditional put) and the
        links table (condition check). Returns the keys that collided; if any did, nothing was
        written and the caller retries without them.
        """
        actions: list[dict[str, Any]] = []
        for key, shard in keys.items():
            condition = {
                "ConditionExpression": "attribute_not_exists(#key)",
                "ExpressionAttributeNames": _names("key"),
            }
            actions.append(
                {
                    "Put": {
                        "TableName": self.keys_table,
                        "Item": to_item({"shard": shard, "key": key}),
                        **condition,
                    }
                }
            )
            actions.append(
                {
                    "ConditionCheck": {
                        "TableName": self.links_table,
                        "Key": to_item({"key": key}),
                        **condition,
                    }
                }
            )
        if len(actions) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"at most {MAX_TRANSACTION_ITEMS // 2} keys per transaction")
        try:
            with dependency_guard():
                self.client.transact_write_items(TransactItems=actions)
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])
            ordered = list(keys)
            clashes = {
                ordered[i // 2]
                for i, reason in enumerate(reasons)
                if reason.get("Code") in (_CONDITION_FAILED, "TransactionConflict")
            }
            if not clashes:
                codes = [r.get("Code") for r in reasons]
                raise DependencyUnavailable(f"DynamoDB cancelled the refill: {codes}") from error
            return clashes
        return set()


@dataclass(frozen=True)
class PoolContents:
    keys: dict[int, list[str]]  # shard -> its unused keys (shards >= 0 only)
    sizing: dict[str, float] | None  # keygen's state from its last run, if any
