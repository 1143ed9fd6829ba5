"""The idempotency table, as Powertools Idempotency's persistence layer (the "run once" around a
create is ``snip.operations.idempotent_creates``).

Every record carries a marker of the put that wrote it (``_MarkedPuts``), so that a put whose
answer was lost and which was sent again does not find "a request in progress" that is its own.

A create's record also learns the key of the link it writes (``snip.data.create_records``).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, cast

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer
from botocore.exceptions import ClientError

from snip.data import clients, lost_writes
from snip.data.create_records import PUT_MARKER, RECORD_KEY, current_record
from snip.data.dependency_guard import CONDITION_FAILED, dependency_guard, error_code, old_item
from snip.data.item_codec import from_item
from snip.settings import get_settings

if TYPE_CHECKING:
    from typing import Unpack

    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        DeleteItemInputTypeDef,
        PutItemInputTypeDef,
    )


class _MarkedPuts:
    """The DynamoDB client as Powertools Idempotency sees it, but every record it puts (its only
    PutItem: the in-progress record) carries a fresh marker.

    Powertools' put is conditional (no live record yet); sent again after its answer was lost
    (by botocore's retries), it fails on the record its first attempt wrote, and Powertools would
    answer "in progress" until that record expires. Here a put that fails on a record bearing its
    own marker (the failed put's ALL_OLD, or a consistent read if that is missing) succeeded; so
    does a put whose every attempt was lost once a consistent read finds its record
    (``snip.data.lost_writes``, as for every marked write).
    Costs: about 30 bytes per record; no extra request unless an answer was lost.

    The put returns the record it replaced (an expired one), and the create's ``CreateRecord``
    learns from it; a failed create's record is deleted only while it is still the attempt's own.
    """

    def __init__(self, client: DynamoDBClient) -> None:
        self._client = client

    def __getattr__(self, name: str) -> object:
        return getattr(self._client, name)

    def put_item(self, **kwargs: Unpack[PutItemInputTypeDef]) -> Mapping[str, object]:
        marker = secrets.token_urlsafe(12)
        kwargs["Item"] = {**kwargs["Item"], PUT_MARKER: {"S": marker}}
        kwargs["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        kwargs["ReturnValues"] = "ALL_OLD"  # a record taken over: what its attempt wrote
        answer = self._put(marker, kwargs)
        record = current_record()
        if record is not None:
            replaced = answer.get("Attributes")
            record.put(
                kwargs["TableName"],
                from_item(cast("Mapping[str, AttributeValueTypeDef]", kwargs["Item"])),
                from_item(cast("Mapping[str, AttributeValueTypeDef]", replaced)) if replaced else {},
            )
        return answer

    def delete_item(self, **kwargs: Unpack[DeleteItemInputTypeDef]) -> Mapping[str, object]:
        """Powertools deletes the record of a create that failed: only while it is still this
        attempt's, never one a later attempt has taken over."""
        record = current_record()
        if record is None or not record.marker:
            return self._client.delete_item(**kwargs)
        kwargs["ConditionExpression"] = "#marker = :marker"
        kwargs["ExpressionAttributeNames"] = {"#marker": PUT_MARKER}
        kwargs["ExpressionAttributeValues"] = {":marker": {"S": record.marker}}
        try:
            return self._client.delete_item(**kwargs)
        except ClientError as error:
            if error_code(error) != CONDITION_FAILED:
                raise
            return {}

    def _put(self, marker: str, kwargs: PutItemInputTypeDef) -> Mapping[str, object]:
        def mine(stored: Mapping[str, object]) -> bool:
            return stored.get(PUT_MARKER) == marker

        def read() -> dict[str, object] | None:
            return self._stored(kwargs)

        try:
            # Every answer lost: ours if the record bears our marker; otherwise our put did not
            # happen (or the read failed too): sent once more, whose condition then decides as
            # a clean run's would.
            answer = lost_writes.send_once(
                lambda: self._client.put_item(**kwargs),
                lambda: (stored := lost_writes.readable(read)) is not None and mine(stored),
            )
        except ClientError as error:
            if error_code(error) != CONDITION_FAILED:
                raise
            old = old_item(error)
            if lost_writes.failed_on_own(from_item(old) if old else None, read, mine):
                return {}
            raise
        return {} if answer is None else answer

    def _stored(self, put: PutItemInputTypeDef) -> dict[str, object] | None:
        key = {RECORD_KEY: put["Item"][RECORD_KEY]}
        with dependency_guard():
            item = self._client.get_item(TableName=put["TableName"], Key=key, ConsistentRead=True)
        found = item.get("Item")
        return from_item(found) if found else None


@lru_cache(maxsize=1)
def persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=get_settings().idempotency_table,
        key_attr=RECORD_KEY,
        boto3_client=cast("DynamoDBClient", _MarkedPuts(clients.dynamodb())),
    )
