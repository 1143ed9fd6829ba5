"""A request that carries an ``Idempotency-Key`` is answered once: a repeat of the same body by
the same owner within 24 h gets the first answer again and does nothing (CONTRACT §2).

What is remembered is the action's JSON answer (``snip.data.idempotency_table``, which stores it
with sorted keys); the routes put it back in their models' field order
(``snip.http.api_models.in_field_order``), so that a replay reads exactly like the first answer.
Counting a metric inside the action counts it once, not on a replay. Powertools Idempotency
(``snip.operations.idempotent_creates``) is imported by the first request that carries the header: the
lean POST /links (``snip.links_api.lean_create``) answers a cold start without it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

from snip.http.api_addresses import base_url, own_hosts
from snip.http.responses import header
from snip.http.scope_middleware import owner

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from snip.data.create_records import CreateRecord
    from snip.http.rest_router import RestRouter

IDEMPOTENCY_KEY = "Idempotency-Key"
# What a create answers: a JSON object (Powertools Idempotency stores it).
Answer = TypeVar("Answer", bound=Mapping[str, object])


@dataclass(frozen=True)
class Creator:
    """Who creates links by this request, and where the API that will serve them lives; with an
    Idempotency-Key, the record that remembers the create (``idempotent_creates.once``)."""

    owner: str
    base_url: str
    own_hosts: set[str]
    record: CreateRecord | None = None

    @classmethod
    def of(cls, owner: str, event: Mapping[str, object]) -> Creator:
        return cls(owner, base_url(event), own_hosts(event))


def answer_once(
    creator: Creator, event: Mapping[str, object], body: object, create: Callable[[Creator], Answer]
) -> Answer:
    """``create(creator)``, or with an Idempotency-Key the first answer to this owner's key and
    ``body`` (the request's parsed JSON body)."""
    idempotency_key = header(event.get("headers"), IDEMPOTENCY_KEY)
    if idempotency_key is None:
        return create(creator)
    from snip.operations import idempotent_creates  # Powertools Idempotency: loaded when needed

    key = idempotent_creates.check_idempotency_key(idempotency_key)
    return idempotent_creates.once(
        creator.owner, key, body, lambda record: create(replace(creator, record=record))
    )


def first_answer(router: RestRouter, create: Callable[[Creator], Answer]) -> Answer:
    """``answer_once`` for an Event Handler route: the caller the scope check admitted."""
    event = router.current_event
    return answer_once(Creator.of(owner(router), event.raw_event), event.raw_event, event.json_body, create)


def remember_invocation(context: LambdaContext | None) -> None:
    """Hand Powertools the invocation's Lambda context: an in-progress record expires with it."""
    from snip.operations import idempotent_creates

    if context is not None:
        idempotent_creates.config().register_lambda_context(context)
