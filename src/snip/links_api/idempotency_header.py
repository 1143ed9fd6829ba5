"""A request that carries an ``Idempotency-Key`` is answered once: a repeat of the same body by
the same owner within 24 h gets the first answer again and does nothing (CONTRACT §2).

What is remembered is the action's JSON answer (``snip.data.idempotency_table``, which stores it
with sorted keys); the routes put it back in their models' field order
(``snip.http.api_models.in_field_order``), so that a replay reads exactly like the first answer.
Counting a metric inside the action counts it once, not on a replay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from snip.http.api_addresses import base_url, own_hosts
from snip.http.responses import header
from snip.http.rest_router import RestRouter
from snip.http.scope_middleware import owner
from snip.operations import idempotent_creates

IDEMPOTENCY_KEY = "Idempotency-Key"


@dataclass(frozen=True)
class Creator:
    """Who creates links by this request, and where the API that will serve them lives."""

    owner: str
    base_url: str
    own_hosts: set[str]


def first_answer(router: RestRouter, create: Callable[[Creator], dict[str, Any]]) -> dict[str, Any]:
    """``create(creator)``, or with an Idempotency-Key the first answer to this owner's key and body."""
    event = router.current_event
    creator = Creator(owner(router), base_url(event), own_hosts(event))
    idempotency_key = header(event.headers, IDEMPOTENCY_KEY)
    if idempotency_key is None:
        return create(creator)
    key = idempotent_creates.check_idempotency_key(idempotency_key)
    return idempotent_creates.once(creator.owner, key, event.json_body, lambda: create(creator))


def remember_invocation(context: Any) -> None:
    """Hand Powertools the invocation's Lambda context: an in-progress record expires with it."""
    if context is not None:
        idempotent_creates.config().register_lambda_context(context)
