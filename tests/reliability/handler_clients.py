"""In-process clients: handlers driven with REST (payload v1) events, as API Gateway sends them."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.service.conftest import LambdaContext
from tests.service.lambda_events import Reply, rest_event, to_reply

# Powertools marks an idempotency record in progress until the invocation's remaining time runs
# out. A short remaining time lets a stuck record expire within the test (Lambda: up to the timeout).
IN_PROGRESS_SECONDS = 0.3


class ShortContext(LambdaContext):
    def get_remaining_time_in_millis(self) -> int:
        return int(IN_PROGRESS_SECONDS * 1000)


def check_reply(reply: Reply) -> None:
    """Snip's rules for any answer: no 5xx but a 503 with Retry-After; errors in Snip's JSON shape."""
    assert reply.status < 500 or reply.status == 503, (reply.status, reply.body)
    if reply.status == 503:
        assert reply.error_code == "service_unavailable", reply.body
        assert int(reply.headers["Retry-After"]) >= 1, reply.headers
    if reply.status >= 400:
        assert_snip_error(reply.json)


SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")


def assert_snip_error(body: Any) -> None:
    """Snip's error shape: {"error": {"code": "<snake_case>", "message": "<a sentence>"}}."""
    error = body["error"]
    assert SNAKE_CASE.fullmatch(error["code"]), body
    assert isinstance(error["message"], str), body
    assert error["message"].strip(), body


@dataclass
class Driver:
    """Sends requests to the handlers and keeps count of every answer."""

    handlers: dict[str, Callable[[dict[str, Any], Any], Any]]
    statuses: Counter[int] = field(default_factory=Counter)

    def __call__(self, method: str, path: str, *, context: Any = None, **kwargs: Any) -> Reply:
        function, event = rest_event(method, path, **kwargs)
        reply = to_reply(self.handlers[function](event, context or LambdaContext()))
        self.statuses[reply.status] += 1
        check_reply(reply)
        return reply

    def idempotent_create(self, body: dict[str, Any], idempotency_key: str, attempts: int = 40) -> Reply:
        """A careful client: the same Idempotency-Key on every retry, retrying 503 and 409 in progress."""
        reply = None
        for _ in range(attempts):
            reply = self(
                "POST",
                "/links",
                body=body,
                headers={"Idempotency-Key": idempotency_key},
                context=ShortContext(),
            )
            if reply.status == 503:
                continue
            if reply.status == 409 and reply.error_code == "request_in_progress":
                time.sleep(IN_PROGRESS_SECONDS + 0.05)
                continue
            return reply
        assert reply is not None
        return reply
