"""Faults injected at the SDK layer: a DynamoDB call fails before anything is written.

The fault is raised where botocore would raise it once its retries are spent (a ClientError
with DynamoDB's error code, or a read timeout): moto answers every request it is sent, so the
injection has to stop the call before it reaches moto.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError, ReadTimeoutError

THROTTLED = ("ProvisionedThroughputExceededException", 400)
THROTTLING = ("ThrottlingException", 400)
SERVER_ERROR = ("InternalServerError", 500)
UNAVAILABLE = ("ServiceUnavailable", 503)
TRANSACTION_CONFLICT = ("TransactionConflictException", 400)
TIMEOUT = ("ReadTimeout", 0)


def inject(
    client: Any,
    fault: tuple[str, int],
    *,
    operations: tuple[str, ...] | None = None,
    rate: float = 1.0,
    rng: random.Random | None = None,
) -> Callable[[], int]:
    """Make ``rate`` of the client's requests (of ``operations``, or all) fail with ``fault``.

    Returns a function that tells how many requests were failed so far.
    """
    rng = rng or random.Random(7)
    failed = [0]

    def before_call(model: Any, **_: Any) -> None:
        if operations and model.name not in operations:
            return
        if rng.random() >= rate:
            return
        failed[0] += 1
        code, status = fault
        if code == "ReadTimeout":
            raise ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com/")
        raise ClientError(
            {
                "Error": {"Code": code, "Message": code},
                "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": 2},
            },
            model.name,
        )

    client.meta.events.register_first("before-call.dynamodb", before_call)
    return lambda: failed[0]
