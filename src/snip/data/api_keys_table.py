"""The one module that talks to the API-key registry table (``snip_deploy.tables.API_KEYS``).

Shorten (which only reads it), the local gateway and ``snip keys`` share this one data-access path. A record
says whose key it is and what it may do, keyed by the API Gateway API key id. Snip never stores a
secret: deployed, API Gateway holds it; locally, where Snip checks secrets itself, the record
carries the secret's SHA-256 and the key id is derived from that hash, so the gateway finds a
key by its secret with one GetItem (``local_key_id``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from snip.data.dependency_guard import dependency_guard
from snip.data.item_codec import from_item, text, texts, to_item

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

    from snip.data.item_codec import Item

KEY_ID = "key_id"  # the partition key (snip_deploy.tables.API_KEYS)
LOCAL_KEY_PREFIX = "lk"


def secret_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def local_key_id(secret: str) -> str:
    """The local stack's key id for a secret: a prefix of its SHA-256 (the secret itself is never kept)."""
    return f"{LOCAL_KEY_PREFIX}{secret_sha256(secret)[:18]}"


@dataclass(frozen=True)
class ApiKeyRecord:
    key_id: str
    owner: str
    scopes: tuple[str, ...]
    created_at: str
    name: str = ""
    revoked_at: str | None = None
    secret_sha256: str | None = field(default=None, repr=False)  # local stack only

    def to_item(self) -> Item:
        return to_item(
            {
                KEY_ID: self.key_id,
                "owner": self.owner,
                "scopes": set(self.scopes),
                "created_at": self.created_at,
                "name": self.name or None,
                "revoked_at": self.revoked_at,
                "secret_sha256": self.secret_sha256,
            }
        )

    @classmethod
    def from_item(cls, item: Mapping[str, AttributeValueTypeDef]) -> ApiKeyRecord:
        data = from_item(item)
        return cls(
            key_id=str(data[KEY_ID]),
            owner=str(data["owner"]),
            scopes=tuple(sorted(texts(data, "scopes") or ())),
            created_at=text(data, "created_at") or "",
            name=text(data, "name") or "",
            revoked_at=text(data, "revoked_at"),
            secret_sha256=text(data, "secret_sha256"),
        )


class ApiKeyRegistry:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self.client = client
        self.table = table

    def get(self, key_id: str) -> ApiKeyRecord | None:
        """The record (strongly consistent: a revocation counts from the moment it is written)."""
        with dependency_guard():
            response = self.client.get_item(
                TableName=self.table, Key=to_item({KEY_ID: key_id}), ConsistentRead=True
            )
        item = response.get("Item")
        return ApiKeyRecord.from_item(item) if item else None

    def put(self, record: ApiKeyRecord, *, replace: bool = False) -> None:
        """Record a new key; an existing key id is kept unless ``replace`` (the local seed)."""
        item = record.to_item()
        with dependency_guard():
            if replace:
                self.client.put_item(TableName=self.table, Item=item)
            else:
                condition = f"attribute_not_exists({KEY_ID})"
                self.client.put_item(TableName=self.table, Item=item, ConditionExpression=condition)

    def revoke(self, key_id: str, at: str) -> bool:
        """Stamp ``revoked_at`` (the first revocation's time stays); False if no such key."""
        try:
            with dependency_guard():
                self.client.update_item(
                    TableName=self.table,
                    Key=to_item({KEY_ID: key_id}),
                    UpdateExpression="SET revoked_at = if_not_exists(revoked_at, :at)",
                    ConditionExpression=f"attribute_exists({KEY_ID})",
                    ExpressionAttributeValues=to_item({":at": at}),
                )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def records(self) -> Iterator[ApiKeyRecord]:
        """Every record (a Scan: the registry holds a handful of keys per owner; ``snip keys list`` only)."""
        paginator = self.client.get_paginator("scan")
        with dependency_guard():
            for page in paginator.paginate(TableName=self.table, ConsistentRead=True):
                for item in page.get("Items", []):
                    yield ApiKeyRecord.from_item(item)
