"""Make moto's DynamoDB fit for a long-running local stack: client request tokens, cheap rollbacks,
no instance hoarding.

DynamoDB makes TransactWriteItems idempotent by its ``ClientRequestToken`` (botocore fills one in
per call and sends the same one on each of its retries): a repeat within 10 minutes answers what
the first call answered — success without writing again, or the same cancellation — and a repeat
with other parameters is refused with IdempotentParameterMismatchException. moto ignores the
token, so a retried claim whose first answer was lost would be cancelled by its own first write.
``install`` makes moto remember tokens as DynamoDB does.

Two things in moto grow with every link stored and never shrink:

* TransactWriteItems backs up each table it touches with ``copy.deepcopy`` before it starts, so
  every create copies every stored item;
* every model object moto creates (each ``Item`` written, each table copy) is appended to its
  class's ``instances_tracked`` list, which only serves moto's ``/moto-api`` introspection, and is
  never released.

The local endpoint serializes every request under one lock, so a rollback only has to restore
the item index of the tables a transaction touches. This patch keeps a copy of that index (it
shares the item objects: Put and Delete replace or remove items, never change them) and lets moto's
own backup be the table itself; an Update changes its item in place, so a copy of each item a
transaction updates (only those) is kept too, and the stream records a cancelled transaction
wrote are dropped (the aggregator's transactions update visit, rollup and link items).
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.core.common_models import BaseModel
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.exceptions import DynamodbException, TransactionCanceledException
from moto.dynamodb.responses import DynamoHandler

TOKEN_WINDOW_SECONDS = 600.0  # DynamoDB: "a client token is valid for 10 minutes"

_original = dynamodb_models.DynamoDBBackend.transact_write_items


class _Untracked(list[Any]):
    """An ``instances_tracked`` that keeps nothing."""

    def append(self, _: Any) -> None:
        return None


def _index_copy(table: Any) -> Any:
    if table.range_key_attr is not None:
        return type(table.items)(dict, {h: dict(r) for h, r in table.items.items()})
    return type(table.items)(dict, table.items)


class _NoTableCopy:
    """Stands in for the ``copy`` module inside moto's dynamodb models during one call."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        if isinstance(value, dynamodb_models.Table):
            return value  # the rollback below restores its item index
        return copy.deepcopy(value, memo)


def _keep_updated_items(table: Any, saved: Any, updates: list[dict[str, Any]]) -> None:
    """Put a copy of each item an Update of the transaction will change in place into ``saved``."""
    for op in updates:
        hash_key = dynamodb_models.DynamoType(op["Key"][table.hash_key_attr])
        range_key = (
            dynamodb_models.DynamoType(op["Key"][table.range_key_attr]) if table.range_key_attr else None
        )
        item = table.get_item(hash_key, range_key)
        if item is None:
            continue
        if range_key is None:
            saved[hash_key] = copy.deepcopy(item)
        else:
            saved[hash_key][range_key] = copy.deepcopy(item)


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    ops = [next(iter(item.values())) for item in transact_items]
    touched = {op.get("TableName") for op in ops}
    saved = {name: _index_copy(self.tables[name]) for name in touched if name in self.tables}
    for name, index in saved.items():
        updates = [
            item["Update"] for item in transact_items if item.get("Update", {}).get("TableName") == name
        ]
        _keep_updated_items(self.tables[name], index, updates)
    streams = {
        name: len(self.tables[name].stream_shard.items)
        for name in saved
        if self.tables[name].stream_shard is not None
    }
    moto_copy = dynamodb_models.copy
    dynamodb_models.copy = _NoTableCopy()  # type: ignore[assignment]
    try:
        return _original(self, transact_items)
    except Exception:
        for name, items in saved.items():
            self.tables[name].items = items
        for name, length in streams.items():  # a cancelled transaction leaves no stream record
            del self.tables[name].stream_shard.items[length:]
        raise
    finally:
        dynamodb_models.copy = moto_copy


class IdempotentParameterMismatchException(DynamodbException):
    error_type = "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException"

    def __init__(self) -> None:
        super().__init__(
            self.error_type,
            message="The request uses the same client token as a previous, but non-identical request.",
        )


@dataclass
class _FirstAnswer:
    at: float
    fingerprint: str
    result: Any = None
    error: Exception | None = None


class RecentTokens:
    """Tokens seen in the last ``TOKEN_WINDOW_SECONDS``, each with the answer its first call got."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._seen: OrderedDict[str, _FirstAnswer] = OrderedDict()

    def answer(self, handler: Any, call: Callable[[Any], Any]) -> Any:
        params = dict(handler.body)
        token = params.pop("ClientRequestToken", None)
        if not token:
            return call(handler)
        now = self.clock()
        while self._seen and now - next(iter(self._seen.values())).at >= TOKEN_WINDOW_SECONDS:
            self._seen.popitem(last=False)
        fingerprint = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()
        first = self._seen.get(token)
        if first is not None:
            if first.fingerprint != fingerprint:
                raise IdempotentParameterMismatchException()
            if first.error is not None:
                raise first.error
            return first.result
        try:
            result = call(handler)
        except TransactionCanceledException as error:
            self._seen[token] = _FirstAnswer(now, fingerprint, error=error)
            raise
        self._seen[token] = _FirstAnswer(now, fingerprint, result=result)
        return result


_original_handler = DynamoHandler.transact_write_items


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    sub: type
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def install(tokens: RecentTokens | None = None) -> RecentTokens:
    """Patch moto for this process (the local stack's endpoint, which serializes all requests).

    Returns the token memory (a test may give one with its own clock)."""
    memory = tokens or RecentTokens()
    dynamodb_models.DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    DynamoHandler.transact_write_items = lambda handler: memory.answer(handler, _original_handler)  # type: ignore[method-assign,assignment]
    for model in _subclasses(BaseModel):
        if model.__module__.startswith("moto.dynamodb"):
            model.instances_tracked = _Untracked()  # type: ignore[attr-defined]
    return memory


def uninstall() -> None:
    """Undo ``install`` (tests that patch moto in their own process)."""
    dynamodb_models.DynamoDBBackend.transact_write_items = _original  # type: ignore[method-assign]
    DynamoHandler.transact_write_items = _original_handler  # type: ignore[method-assign]
