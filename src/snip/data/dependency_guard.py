"""How every adapter turns DynamoDB's failures into domain terms: a transient one (after the
SDK's own retries) is ``DependencyUnavailable`` (→ 503 + Retry-After), marked ``ambiguous`` when
the request may have been carried out with its answer lost (``snip.data.lost_writes`` decides
those). Decided from error codes and HTTP status, never from message text.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, cast

from botocore.exceptions import ClientError, HTTPClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as BotoConnectionError

from snip.domain.errors import DependencyUnavailable

if TYPE_CHECKING:
    from snip.data.item_codec import Item

# Errors that mean "DynamoDB could not do it now", after the SDK's own retries.
_UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)
CONDITION_FAILED = "ConditionalCheckFailedException"  # a single write's condition
MAX_TRANSACTION_ITEMS = 100
MAX_BATCH_GET = 100  # keys per BatchGetItem


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def old_item(error: ClientError) -> Item | None:
    """The item a condition failed on (ReturnValuesOnConditionCheckFailure=ALL_OLD), if any."""
    item = error.response.get("Item")
    return cast("Item", item) if isinstance(item, dict) else None


@contextmanager
def dependency_guard() -> Iterator[None]:
    """Turn DynamoDB's transient failures into DependencyUnavailable (→ 503 + Retry-After)."""
    try:
        yield
    except ClientError as error:
        metadata = error.response.get("ResponseMetadata", {})
        status = metadata.get("HTTPStatusCode", 0)
        if error_code(error) in _UNAVAILABLE_CODES or status >= 500:
            # TransactionInProgress: a repeat of a transaction (same ClientRequestToken) that is
            # still being carried out, so it may well be done by now. And whatever the last
            # answer says, when the SDK tried more than once an earlier attempt may have been
            # carried out with its answer lost (a dropped connection, then a throttle).
            ambiguous = (
                status >= 500
                or error_code(error) == "TransactionInProgressException"
                or int(metadata.get("RetryAttempts", 0) or 0) > 0
            )
            raise DependencyUnavailable(f"DynamoDB: {error_code(error)}", ambiguous=ambiguous) from error
        raise
    except (HTTPClientError, BotoConnectionError) as error:  # timeouts, dropped connections
        unreachable = f"DynamoDB unreachable: {type(error).__name__}"
        raise DependencyUnavailable(unreachable, ambiguous=True) from error
    except NoCredentialsError as error:
        raise DependencyUnavailable("DynamoDB: no credentials") from error
