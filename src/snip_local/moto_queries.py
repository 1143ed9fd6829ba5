"""Make moto's index Queries fast enough for an owner with thousands of links on the local stack.

moto answers a Query of a global secondary index by sorting every item of the table, copying
each one it reads (``copy.deepcopy``), weighing each whole item for the 1 MB bound, and projecting
it by turning the item into plain JSON once per projected attribute: milliseconds an entry, so a
search that reads an owner's 10,000 index entries (GET /links?q=, docs/architecture.md) took
seconds in moto alone, against well under one on DynamoDB.

``install`` answers the Queries Snip sends to an index (an equality on its partition key, and at
most one comparison of its sort key with a value: ``<``, ``<=``, ``>``, ``>=``; a filter, a
projection, a limit, a start key) the way DynamoDB reads
an index: the partition's entries in sort-key order, each entry the projected attributes only
(sharing their values, never changed in place by a Query), the read stopping at ``Limit`` entries
or at 1 MB of entries (DynamoDB weighs the index entries it reads; moto weighed whole items),
then the filter, then the ProjectionExpression. Any other Query is moto's own.
"""

from __future__ import annotations

from decimal import Decimal
from operator import itemgetter
from typing import Any

from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import RESULT_SIZE_LIMIT, GlobalSecondaryIndex, SecondaryIndex, Table

_original_project = SecondaryIndex.project
_original_query = Table.query


def _project(index: SecondaryIndex, item: Item) -> Item:
    """``item`` with only the attributes ``index`` carries (its keys, the table's, INCLUDE's)."""
    kind = (index.projection or {}).get("ProjectionType")
    if kind not in ("KEYS_ONLY", "INCLUDE"):
        return item  # ALL (or none given): every attribute, as moto does
    kept = [*index.table_key_attrs, *index.schema_key_attrs]
    if kind == "INCLUDE":
        kept += index.projection.get("NonKeyAttributes", [])
    projected = Item(hash_key=item.hash_key, range_key=item.range_key, attrs={})
    # dict.update, not the item's own __setitem__: it would weigh the whole item at each attribute
    # (moto's 400 KB check), and these attributes were weighed when they were written.
    dict.update(projected.attrs, {name: item.attrs[name] for name in kept if name in item.attrs})
    return projected


def _sortable(value: DynamoType) -> Any:
    """A key attribute's value as DynamoDB orders it: strings and binaries as they are, numbers as
    numbers (moto's ``cast_value``, without its checks of every other type)."""
    return Decimal(value.value) if value.type == "N" else value.value


def _size(entry: Item) -> int:
    """``Item.size``: the attributes' names and values in bytes (a string's in UTF-8 at once)."""
    return sum(
        len(name.encode()) + (len(value.value.encode()) if value.type == "S" else value.size())
        for name, value in entry.attrs.items()
    )


def _query(table: Table, *args: Any, **kwargs: Any) -> tuple[list[Item], int, dict[str, Any] | None]:
    call = dict(
        zip(
            ("hash_key", "range_comparison", "range_objs", "limit", "exclusive_start_key",
             "scan_index_forward", "projection_expressions", "index_name", "consistent_read",
             "filter_expression"),
            args,
            strict=False,
        ),
        **kwargs,
    )  # fmt: skip
    index = table.get_index(call["index_name"]) if call.get("index_name") else None
    keys = [key["AttributeName"] for key in index.schema] if index is not None else []
    bound = _sort_bound(call, keys[1] if len(keys) == 2 else "")
    plain = (
        isinstance(index, GlobalSecondaryIndex)
        and len(keys) == 2  # a partition and a sort key
        and table.range_key_attr is None
        and bound is not None
        and not call.get("consistent_read")
        and not any(name not in _KNOWN for name in call)
    )
    if not plain:
        return _original_query(table, *args, **kwargs)
    assert index is not None
    assert bound is not None
    partition, sort = keys
    wanted = call.get("hash_key")
    if wanted is None and call.get("hash_key_conditions"):
        wanted = call["hash_key_conditions"][0][1]
    if not isinstance(wanted, DynamoType):
        return _original_query(table, *args, **kwargs)
    # The partition's entries with their place in the index: (sort key, table key), compared as
    # DynamoDB compares strings and numbers of one type.
    placed: list[tuple[tuple[Any, Any], Item]] = []
    for stored in table.items.values():
        if not isinstance(stored, Item):
            continue
        owner, place = stored.attrs.get(partition), stored.attrs.get(sort)
        if owner is None or place is None or owner.type != wanted.type or owner.value != wanted.value:
            continue
        if bound and not _COMPARE[bound[0]](_sortable(place), bound[1]):
            continue
        placed.append(((_sortable(place), _sortable(stored.hash_key)), stored))
    forward = call.get("scan_index_forward", True) is not False
    placed.sort(key=itemgetter(0), reverse=not forward)
    start = call.get("exclusive_start_key")
    if start:
        after = (_sortable(DynamoType(start[sort])), _sortable(DynamoType(start[table.hash_key_attr])))
        placed = [row for row in placed if (row[0] > after if forward else row[0] < after)]
    entries = [item for _, item in placed]
    limit = call.get("limit")
    read: list[Item] = []
    size = 0
    last: dict[str, Any] | None = None
    for item in entries:
        entry = _project(index, item)
        weight = _size(entry)
        if (limit is not None and len(read) == limit) or size + weight > RESULT_SIZE_LIMIT:
            last = table._get_last_evaluated_key(read[-1], index.name)
            break
        read.append(entry)
        size += weight
    results = read
    if call.get("filter_expression") is not None:
        results = [item for item in results if call["filter_expression"].expr(item)]
    if call.get("projection_expressions"):
        results = [item.project(call["projection_expressions"]) for item in results]
    return results, len(read), last


_COMPARE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _sort_bound(call: dict[str, Any], sort: str) -> tuple[str, Any] | tuple[()] | None:
    """The Query's one condition on the index's sort key as (comparison, value); () for none;
    None for one this module leaves to moto (BETWEEN, begins_with, several)."""
    comparison, values = call.get("range_comparison"), call.get("range_objs") or []
    conditions = call.get("range_key_conditions") or []
    if conditions:
        if len(conditions) != 1 or conditions[0][0] != sort:
            return None
        _, comparison, values = conditions[0]
    if not comparison:
        return ()
    if comparison not in _COMPARE or len(values) != 1 or not isinstance(values[0], DynamoType):
        return None
    return comparison, _sortable(values[0])


_KNOWN = {
    "hash_key", "range_comparison", "range_objs", "limit", "exclusive_start_key", "scan_index_forward",
    "projection_expressions", "index_name", "consistent_read", "filter_expression", "hash_key_conditions",
    "range_key_conditions",
}  # fmt: skip


def install() -> None:
    SecondaryIndex.project = _project  # type: ignore[method-assign,assignment]
    Table.query = _query  # type: ignore[method-assign,assignment]


def uninstall() -> None:
    SecondaryIndex.project = _original_project  # type: ignore[method-assign]
    Table.query = _original_query  # type: ignore[method-assign]
