"""Cheaper rollback for moto's TransactWriteItems.

moto backs up every table a transaction touches with ``copy.deepcopy`` before it starts, so each
create costs time and memory in proportion to every link stored so far (1,600 creates grew the
local stack to gigabytes). The local endpoint already serializes every request under one lock,
so a rollback only has to restore the *items* the transaction touches: this patch hands moto a
table whose item index is copied (cheap: references to the same item objects) instead of a deep
copy. Put and Delete replace or remove item objects, never change them, so the copied index is a
faithful snapshot; a transaction with an Update (which changes an item in place) keeps moto's
deep copy. Snip's own transactions use Put, Delete and ConditionCheck only.
"""

from __future__ import annotations

import copy
from typing import Any

from moto.dynamodb import models as dynamodb_models

_original = dynamodb_models.DynamoDBBackend.transact_write_items


def _snapshot(table: Any) -> Any:
    """A copy of ``table`` sharing its item objects, with its own item index."""
    clone = copy.copy(table)
    if table.range_key_attr is not None:
        clone.items = type(table.items)(dict, {h: dict(r) for h, r in table.items.items()})
    else:
        clone.items = type(table.items)(dict, table.items)
    return clone


class _ShallowCopy:
    """Stands in for the ``copy`` module inside moto's dynamodb models during one call."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: Any = None) -> Any:
        if isinstance(value, dynamodb_models.Table):
            return _snapshot(value)
        return copy.deepcopy(value, memo)


def _transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    if any("Update" in item for item in transact_items):
        return _original(self, transact_items)
    saved = dynamodb_models.copy
    dynamodb_models.copy = _ShallowCopy()  # type: ignore[assignment]
    try:
        return _original(self, transact_items)
    finally:
        dynamodb_models.copy = saved


def install() -> None:
    """Patch moto for this process (the local stack's endpoint, which serializes all requests)."""
    dynamodb_models.DynamoDBBackend.transact_write_items = _transact_write_items  # type: ignore[method-assign]
