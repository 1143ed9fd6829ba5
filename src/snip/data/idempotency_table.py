"""Idempotency-Key support for creates, through Powertools Idempotency.

A record is keyed by (owner, Idempotency-Key), so two owners never see each other's replays,
and carries a hash of the body, so the same key with another body is refused. It also carries a
marker of the put that wrote it (``_MarkedPuts``), so that a put whose answer was lost and which
was sent again does not find "a request in progress" that is its own.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from botocore.exceptions import ClientError

from snip.data import clients, lost_writes
from snip.data.dependency_guard import CONDITION_FAILED, dependency_guard, error_code, old_item
from snip.data.item_codec import from_item
from snip.domain.errors import DependencyUnavailable, IdempotencyMismatch, InvalidInput, RequestInProgress
from snip.settings import get_settings

MAX_KEY_LENGTH = 128
logger = Logger(child=True)


def check_idempotency_key(value: str) -> str:
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not all("!" <= c <= "~" for c in value):
        raise InvalidInput(
            "Idempotency-Key must be 1 to 128 visible ASCII characters.",
            code="invalid_idempotency_key",
        )
    return value


RECORD_KEY = "id"  # Powertools' default key attribute, the idempotency table's partition key
PUT_MARKER = "put_marker"


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
    """

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def put_item(self, **kwargs: Any) -> Any:
        marker = secrets.token_urlsafe(12)
        kwargs["Item"] = {**kwargs["Item"], PUT_MARKER: {"S": marker}}
        kwargs["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"

        def mine(stored: Mapping[str, object]) -> bool:
            return stored.get(PUT_MARKER) == marker

        def read() -> dict[str, Any] | None:
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
            if lost_writes.failed_on_own(old_item(error), read, mine):
                return {}
            raise
        return {} if answer is None else answer

    def _stored(self, put: dict[str, Any]) -> dict[str, Any] | None:
        key = {RECORD_KEY: put["Item"][RECORD_KEY]}
        with dependency_guard():
            item = self._client.get_item(TableName=put["TableName"], Key=key, ConsistentRead=True)
        found = item.get("Item")
        return from_item(found) if found else None


@lru_cache(maxsize=1)
def _persistence() -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=get_settings().idempotency_table,
        key_attr=RECORD_KEY,
        boto3_client=cast(Any, _MarkedPuts(clients.dynamodb())),
    )


@lru_cache(maxsize=1)
def config() -> IdempotencyConfig:
    return IdempotencyConfig(
        event_key_jmespath="[owner, idempotency_key]",
        payload_validation_jmespath="body",
        expires_after_seconds=get_settings().idempotency_ttl,
        raise_on_no_idempotency_key=True,
    )


def once(owner: str, idempotency_key: str, body: Any, action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``action`` once per (owner, key); a repeat with the same body replays its result."""

    produced: list[dict[str, Any]] = []

    @idempotent_function(data_keyword_argument="request", config=config(), persistence_store=_persistence())
    def create_link(request: dict[str, Any]) -> dict[str, Any]:
        produced.append(action())
        return produced[0]

    request = {"owner": owner, "idempotency_key": idempotency_key, "body": body}
    try:
        return create_link(request=request)
    except IdempotencyValidationError:
        raise IdempotencyMismatch("This Idempotency-Key was used with a different request body.") from None
    except IdempotencyAlreadyInProgressError:
        raise RequestInProgress(
            "A request with this Idempotency-Key is still in progress; retry shortly."
        ) from None
    except IdempotencyPersistenceLayerError as error:
        if produced:
            # The link exists; only marking the record complete failed. Try once more, so that a
            # replay finds the first response; either way answer what was done: a 503 now would
            # send the client to retry into a second link.
            _complete(request, produced[0])
            return produced[0]
        raise DependencyUnavailable("The idempotency store is unavailable.") from error


def _complete(request: dict[str, Any], response: dict[str, Any]) -> None:
    try:
        _persistence().save_success(data=request, result=response)
    except Exception:
        # Left in progress: replays answer 409 until it expires (the Lambda's remaining time),
        # after which a replay would create the link again.
        logger.warning("link created, idempotency record left in progress", exc_info=True)
