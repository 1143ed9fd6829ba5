"""Creates that run once per Idempotency-Key, through Powertools Idempotency.

A record is keyed by (owner, Idempotency-Key), so two owners never see each other's replays, and
carries a hash of the body, so the same key with another body is refused. The records and the
puts that decide their own lost answers are ``snip.data.idempotency_table``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TypedDict, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)

from snip.data.create_records import CreateRecord, create_record
from snip.data.idempotency_table import persistence
from snip.domain.errors import DependencyUnavailable, IdempotencyMismatch, InvalidInput, RequestInProgress
from snip.settings import get_settings

MAX_KEY_LENGTH = 128
logger = Logger(child=True)
Answer = TypeVar("Answer", bound=Mapping[str, object])  # a JSON object: Powertools stores it


def check_idempotency_key(value: str) -> str:
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not all("!" <= c <= "~" for c in value):
        raise InvalidInput(
            "Idempotency-Key must be 1 to 128 visible ASCII characters.",
            code="invalid_idempotency_key",
        )
    return value


class IdempotentRequest(TypedDict):
    """What Powertools hashes: the record's key from owner and key, the payload check from body."""

    owner: str
    idempotency_key: str
    body: object


@lru_cache(maxsize=1)
def config() -> IdempotencyConfig:
    return IdempotencyConfig(
        event_key_jmespath="[owner, idempotency_key]",
        payload_validation_jmespath="body",
        expires_after_seconds=get_settings().idempotency_ttl,
        raise_on_no_idempotency_key=True,
    )


def once(owner: str, idempotency_key: str, body: object, action: Callable[[CreateRecord], Answer]) -> Answer:
    """Run ``action`` once per (owner, key); a repeat with the same body replays its result.

    ``action`` gets the record Powertools put for it: the link it writes names its key there (in
    the link's own transaction), and if the record was taken over from an attempt that died after
    writing its link, ``CreateRecord.earlier_key`` names that link, to be answered instead.
    """

    produced: list[Answer] = []

    @idempotent_function(data_keyword_argument="request", config=config(), persistence_store=persistence())
    def create_link(request: IdempotentRequest) -> Answer:
        produced.append(action(record))
        return produced[0]

    request: IdempotentRequest = {"owner": owner, "idempotency_key": idempotency_key, "body": body}
    try:
        with create_record() as record:
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


def _complete(request: IdempotentRequest, response: Mapping[str, object]) -> None:
    try:
        persistence().save_success(data=dict(request), result=dict(response))
    except Exception:
        # Left in progress: replays answer 409 until it expires (the Lambda's remaining time),
        # after which a replay would create the link again.
        logger.warning("link created, idempotency record left in progress", exc_info=True)
