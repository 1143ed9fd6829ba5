"""The API-key check every route under /links passes first: who the caller is, and whether the
key may do what the route does (``snip.domain.api_scopes``), in one Event Handler middleware so that routes
read as what they do. shorten's lean POST /links (``snip.links_api.lean_create``) calls ``admit``
itself, without the Event Handler (whose names are imported here for type checking only).

API Gateway has already refused a missing, unknown or disabled key (its own 403); this check adds
what it cannot know: the key's owner and scopes, and a revocation recorded in the registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from snip.domain import api_scopes
from snip.domain.errors import SnipError
from snip.execution import environment
from snip.http.responses import event_object, event_text
from snip.operations.callers import Principal

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

CONTEXT_KEY = "principal"


def admit(event: Mapping[str, object]) -> Principal | None:
    """The caller of a Lambda proxy event whose route needs a scope, if its key has that scope
    (None for a route that needs none); InsufficientScope, ApiKeyRevoked or a deployment error otherwise."""
    needed = api_scopes.required_scope(event_text(event, "httpMethod"), event_text(event, "resource"))
    if needed is None:
        return None
    key_id = event_text(event_object(event_object(event, "requestContext"), "identity"), "apiKeyId")
    if not key_id:  # API Gateway requires a key on /links; this is a deployment error
        raise SnipError("The request carried no API key identity.")
    principal = environment.owners().principal(key_id)
    principal.require(needed)
    return principal


def check_scope(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[str]:
    """``admit`` as an Event Handler middleware: the caller goes into the routers' context."""
    principal = admit(app.current_event.raw_event)
    if principal is not None:
        app.append_context(**{CONTEXT_KEY: principal})
    return next_middleware(app)


def principal(router: BaseRouter) -> Principal:
    """The caller that ``check_scope`` admitted for the current request (``router``: the
    resolver or one of its included routers, which share its context)."""
    found = router.context.get(CONTEXT_KEY)
    if not isinstance(found, Principal):
        raise SnipError("The request reached a /links route without its API-key check.")
    return found


def owner(router: BaseRouter) -> str:
    """The owner of the calling API key (not the key: an owner may hold several keys)."""
    return principal(router).owner
