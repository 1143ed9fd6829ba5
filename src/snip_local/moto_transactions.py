"""Make moto's DynamoDB fit for a long-running local stack: cheap rollbacks, no instance hoarding.

Two things in moto grow with every link stored and never shrink:

* TransactWriteItems backs up each table it touches with ``copy.deepcopy`` before it starts, so
  every create copies every stored item;
* every model object moto creates (each ``Item`` written, each table copy) is appended to its
  class's ``instances_tracked`` list, which only serves moto's ``/moto-api`` introspection, and is
  never released.

The local endpoint serializes every request under one lock, so a rollback only has to restore
the item index of the tables a transaction touches. This patch keeps a copy of that index (it
shares the item objects: Put and Delete replace or remove items, never change them) and lets moto's
own backup be the table itself; a transaction with an Update, which changes an item in place,
keeps moto's deep copy. Snip's own transactions use Put, Delete and ConditionCheck only.
"""

from __future__ import annotations

import copy
from typing import Any

from moto.core.common_models import BaseModel
from moto.dynamodb import models as dynamodb_models

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


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    if any("Update" in item for item in transact_items):
        return _original(self, transact_items)
    touched = {next(iter(item.values())).get("TableName") for item in transact_items}
    saved = {name: _index_copy(self.tables[name]) for name in touched if name in self.tables}
    moto_copy = dynamodb_models.copy
    dynamodb_models.copy = _NoTableCopy()  # type: ignore[assignment]
    try:
        return _original(self, transact_items)
    except Exception:
        for name, items in saved.items():
            self.tables[name].items = items
        raise
    finally:
        dynamodb_models.copy = moto_copy


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    sub: type
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def install() -> None:
    """Patch moto for this process (the local stack's endpoint, which serializes all requests)."""
    dynamodb_models.DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
    for model in _subclasses(BaseModel):
        if model.__module__.startswith("moto.dynamodb"):
            model.instances_tracked = _Untracked()  # type: ignore[attr-defined]
