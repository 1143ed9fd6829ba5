"""Between Python values and DynamoDB's typed JSON, for every adapter of this package.

Numbers come back as ``int`` (Snip stores no fractions in items it reads this way), attributes
set to None are left out of an item, and ``attribute_names`` spells the ``#name`` placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# A DynamoDB item or expression value in its typed JSON ({"S": ...}, {"N": ...}, ...).
Item = dict[str, Any]


def to_item(data: Mapping[str, object]) -> Item:
    return {k: _serializer.serialize(v) for k, v in data.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: _deserializer.deserialize(v) for k, v in item.items()}
    return {k: int(v) if isinstance(v, Decimal) else v for k, v in out.items()}


def serialize(value: object) -> Any:
    return _serializer.serialize(value)


def deserialize(value: Any) -> Any:
    return _deserializer.deserialize(value)


def attribute_names(*attrs: str) -> dict[str, str]:
    return {f"#{a}": a for a in attrs}
