"""What API Gateway hands a function unchecked about a request body: its size, media type and
encoding (413, 415, 400), checked in one Event Handler middleware so that routes read as what
they do.

Powertools runs its request validation before any middleware registered with ``app.use``; the
links API therefore registers this check and then the validation middlewares itself, in that
order (``middlewares()``), so that a body is measured before it is parsed. shorten's lean
POST /links (``snip.links_api.lean_create``), served without the Event Handler, calls
``check_body`` itself: the same checks, and Powertools is imported by ``middlewares()`` only.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from snip.domain.errors import BodyTooLarge, InvalidInput, UnsupportedMediaType
from snip.domain.validation import body_limit
from snip.http.responses import JSON, event_text, header

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

BODY_METHODS = frozenset({"POST", "PATCH"})
# What a route with a body may answer before it runs (this check, then the model's validation).
BODY_ERRORS = (InvalidInput, BodyTooLarge, UnsupportedMediaType)


def check_body(event: Mapping[str, object]) -> dict[str, object]:
    """The JSON object a POST or PATCH body (of a Lambda proxy event) holds; refuse a body that is
    too large for its route (``validation.body_limit``), not application/json or not UTF-8 JSON."""
    body = event_text(event, "body")
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    limit = body_limit(event_text(event, "resource"))  # 1 MiB for a batch, 16 KiB elsewhere
    if len(raw) > limit:
        raise BodyTooLarge(f"The body must be at most {limit} bytes.")
    media = (header(event.get("headers"), "Content-Type") or "").split(";")[0].strip().lower()
    if media != JSON:
        raise UnsupportedMediaType("Send the body as application/json.")
    try:
        # UTF-8 only (RFC 8259): json.loads would also guess UTF-16/32 from bytes, which the
        # Event Handler then fails to decode. RecursionError: nested deeper than the parser goes.
        parsed = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        parsed = None
    # An object only: the Event Handler would validate a JSON array's first element instead.
    if not isinstance(parsed, dict):
        raise InvalidInput("The body must be a JSON object.", code="invalid_json")
    return parsed


def check_json_body(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[str]:
    """``check_body`` as an Event Handler middleware, for POST and PATCH."""
    event = app.current_event
    if event.http_method in BODY_METHODS:
        check_body(event.raw_event)
        # Media types are case-insensitive (RFC 9110) but the Event Handler compares them as
        # written: hand it the canonical spelling.
        headers = event.raw_event["headers"]
        for name in [n for n in headers if n.lower() == "content-type"]:
            del headers[name]
        headers["Content-Type"] = JSON
    return next_middleware(app)


def middlewares() -> list[Callable[..., Response[str]]]:
    """The links API's middlewares in the order they must run: the body check, then Powertools'
    request and response validation (the resolver is built with ``enable_validation=False``)."""
    from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
        OpenAPIRequestValidationMiddleware,
        OpenAPIResponseValidationMiddleware,
    )

    return [
        check_json_body,
        OpenAPIRequestValidationMiddleware(),
        OpenAPIResponseValidationMiddleware(),
    ]
