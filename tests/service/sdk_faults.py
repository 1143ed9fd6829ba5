"""Faults injected at the SDK layer.

``inject``: a DynamoDB call fails before anything is written. The fault is raised where botocore
would raise it once its retries are spent (a ClientError with DynamoDB's error code, or a read
timeout), at ``before-call``: moto answers every request it is sent, so the injection has to stop
the call before it reaches moto.

``LostAnswers``: DynamoDB carries a request out and its answer is lost (the connection drops).
It acts at ``before-send``, which fires once per *attempt*, inside botocore's retry loop: the
attempt is forwarded for real (to moto, or over HTTP), then a ``ReadTimeoutError`` is raised, so
botocore retries it exactly as it would in production, and our code sees only what is left.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError, ReadTimeoutError
from botocore.hooks import first_non_none_response

from snip.data import clients

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


SDK_ATTEMPTS = clients.ATTEMPTS  # attempts per call, the first one included


class LostAnswers:
    """Lose the answers of the next ``attempts`` attempts of ``operation`` (on ``table``).

    Each such attempt is carried out by DynamoDB (unless ``applied=False``: the request is lost
    on its way, nothing is written), then, before the answer would arrive, ``between`` runs (say,
    another visitor), and the connection "drops". With ``attempts=1`` the SDK's own retry gets
    the answer; with ``SDK_ATTEMPTS`` every attempt is lost and the SDK gives up, so our own code
    decides. ``lost`` lists the attempts lost so far.
    """

    def __init__(
        self,
        client: Any,
        operation: str,
        *,
        table: str | None = None,
        attempts: int = 1,
        applied: bool = True,
        between: Callable[[], object] | None = None,
    ) -> None:
        self._client = client
        self._table = table
        self._left = attempts
        self._applied = applied
        self._between = between
        self._forwarding = False
        self.lost: list[str] = []
        client.meta.events.register_first(f"before-send.dynamodb.{operation}", self._before_send)

    def _before_send(self, request: Any, event_name: str, **_: Any) -> Any:
        if self._forwarding or self._left <= 0:
            return None
        if self._table and f'"{self._table}"'.encode() not in (request.body or b""):
            return None
        self._left -= 1
        if self._applied:
            self._forward(request, event_name)
        self.lost.append(event_name.rsplit(".", 1)[-1])
        if self._between is not None:
            self._between()
        raise ReadTimeoutError(endpoint_url=request.url)

    def _forward(self, request: Any, event_name: str) -> None:
        """Send the attempt on as botocore would: to the handlers after us (moto's, in-process),
        or else over the client's own HTTP session."""
        self._forwarding = True
        try:
            answer = first_non_none_response(self._client.meta.events.emit(event_name, request=request))
            if answer is None:
                self._client._endpoint.http_session.send(request)
        finally:
            self._forwarding = False
