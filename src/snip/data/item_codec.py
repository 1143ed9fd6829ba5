"""Between Python values and DynamoDB's typed JSON, for every adapter of this package.

Numbers come back as ``int`` (Snip stores no fractions in items it reads this way), attributes
set to None are left out of an item, and ``attribute_names`` spells the ``#name`` placeholders.
A value read back is ``object``: what it holds is the reader's to check.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

if TYPE_CHECKING:  # the stubs are a development dependency; Lambda's boto3 has no types
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

    # A DynamoDB item (or a map of expression values) in its typed JSON ({"S": ...}, {"N": ...}).
    Item = dict[str, AttributeValueTypeDef]

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(data: Mapping[str, object]) -> Item:
    return {k: _serializer.serialize(v) for k, v in data.items() if v is not None}


def from_item(item: Mapping[str, AttributeValueTypeDef]) -> dict[str, object]:
    out = {k: _deserializer.deserialize(v) for k, v in item.items()}
    return {k: int(v) if isinstance(v, Decimal) else v for k, v in out.items()}


def serialize(value: object) -> AttributeValueTypeDef:
    return _serializer.serialize(value)


def deserialize(value: AttributeValueTypeDef) -> object:
    return _deserializer.deserialize(value)


def text(values: Mapping[str, object], name: str) -> str | None:
    """``values[name]`` if it is a string (else None): read back, a value is the reader's to check."""
    value = values.get(name)
    return value if isinstance(value, str) else None


def texts(values: Mapping[str, object], name: str) -> list[str] | None:
    """``values[name]`` if it is a list or set (of strings), as a list; else None."""
    value = values.get(name)
    return [str(v) for v in value] if isinstance(value, list | set | tuple) else None


def attribute_names(*attrs: str) -> dict[str, str]:
    return {f"#{a}": a for a in attrs}
