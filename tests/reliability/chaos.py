"""A seeded fault injector for every DynamoDB call a client makes.

Each call fails with probability ``rate``; the fault is drawn from ``KINDS`` — throttling, a 5xx,
a transaction conflict, a timeout — and raised where botocore raises it once its own retries are
spent (the hook runs before the request reaches moto, so a failed call writes nothing).

``lost_responses=True`` injects the other half of a timeout instead: the request reached DynamoDB
and was done, but its answer never came back (a ReadTimeoutError raised after the call).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

from botocore.exceptions import ClientError, ReadTimeoutError

ENDPOINT = "https://dynamodb.us-east-1.amazonaws.com/"

# (name, error code, HTTP status); "ReadTimeout" is a botocore ReadTimeoutError.
KINDS = (
    ("throttling", "ThrottlingException", 400),
    ("throughput_exceeded", "ProvisionedThroughputExceededException", 400),
    ("internal_error", "InternalServerError", 500),
    ("unavailable", "ServiceUnavailable", 503),
    ("transaction_conflict", "TransactionConflictException", 400),
    ("timeout", "ReadTimeout", 0),
)
# What DynamoDB answers when a transaction loses to another one: cancelled, with a reason per item.
CANCELLED_BY_CONFLICT = "transaction_cancelled_conflict"


class Chaos:
    def __init__(self, client: Any, rate: float, seed: int, *, lost_responses: bool = False) -> None:
        self.rate = rate
        self.rng = random.Random(seed)
        self.enabled = False
        self.lost_responses = lost_responses
        self.calls = 0
        self.injected: Counter[str] = Counter()
        client.meta.events.register_first("before-call.dynamodb", self._before_call)
        if lost_responses:
            client.meta.events.register_first("after-call.dynamodb", self._after_call)

    @property
    def total(self) -> int:
        return sum(self.injected.values())

    def _draw(self) -> bool:
        return self.enabled and self.rng.random() < self.rate

    def _before_call(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if not self.enabled:
            return
        self.calls += 1
        if self.lost_responses or not self._draw():
            return
        name, code, status = self.rng.choice(KINDS)
        if model.name == "TransactWriteItems" and name == "transaction_conflict":
            raise self._cancelled(model.name, params)
        self.injected[name] += 1
        if code == "ReadTimeout":
            raise ReadTimeoutError(endpoint_url=ENDPOINT)
        raise ClientError(
            {
                "Error": {"Code": code, "Message": f"injected {code}"},
                "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": 2},
            },
            model.name,
        )

    def _cancelled(self, operation: str, params: dict[str, Any]) -> ClientError:
        body = params.get("body") or b"{}"
        items = len(json.loads(body).get("TransactItems", [])) or 1
        reasons = [{"Code": "None"} for _ in range(items)]
        reasons[self.rng.randrange(items)] = {"Code": "TransactionConflict", "Message": "injected"}
        self.injected[CANCELLED_BY_CONFLICT] += 1
        return ClientError(
            {
                "Error": {"Code": "TransactionCanceledException", "Message": "injected cancellation"},
                "CancellationReasons": reasons,
                "ResponseMetadata": {"HTTPStatusCode": 400},
            },
            operation,
        )

    def _after_call(self, model: Any, **_: Any) -> None:
        if self._draw():
            self.injected["lost_response"] += 1
            raise ReadTimeoutError(endpoint_url=ENDPOINT)
