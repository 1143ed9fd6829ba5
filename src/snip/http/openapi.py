"""Pieces of the links API's OpenAPI document that are not read off a route.

Error responses are described from the error classes themselves (their description, and their
status from ``snip.http.error_status``, the table the responses use), so the document cannot list
a status the code does not send. GET/HEAD /{key} is served by resolve,
which has no Event Handler: its path item is written here once and merged into the document
shorten generates, so shorten carries no copy of the redirect route.

What API Gateway does in front of the functions is added here too, by rule rather than per
route, so that a new route is described alike: the ``x-api-key`` scheme and its 403 on the
keyed paths, the throttling 429 on every route, ``Idempotency-Key`` on the keyed POSTs,
``Location`` on every 201, and no body on a 204.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.compat import model_json
from aws_lambda_powertools.event_handler.openapi.models import PathItem
from pydantic import BaseModel

from snip.domain.errors import (
    ApiKeyRevoked,
    DependencyUnavailable,
    InsufficientScope,
    LinkGone,
    LinkNotFound,
    SnipError,
)
from snip.domain.validation import DEFAULT_REDIRECT_STATUS, REDIRECT_STATUSES
from snip.http.api_models import ErrorBody
from snip.http.error_status import status_of
from snip.http.responses import JSON, REDIRECT_CACHE

_SCHEMAS = "#/components/schemas/"

API_KEY = "apiKey"  # the security scheme's name in the document
# API Gateway asks for an API key on these paths and no other (snip_deploy.routes; a test
# checks that both say the same).
KEYED_PATH_PREFIX = "/links"
GATEWAY_MESSAGE = "GatewayMessage"
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Replays the first response to the same body from the same owner within 24 h; "
    "another body answers 422 idempotency_mismatch, a duplicate still in flight 409 request_in_progress.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[\\x21-\\x7E]+$"},
}
_GATEWAY_SCHEMA = {
    "type": "object",
    "description": "An answer of API Gateway itself, before any function runs.",
    "properties": {"message": {"type": "string", "examples": ["Forbidden"]}},
    "required": ["message"],
}
_FORBIDDEN = 'API Gateway: no API key, or not a valid one ({"message": "Forbidden"})'
_THROTTLED = (
    'API Gateway: throttled ({"message": "Too Many Requests"}) or the key\'s daily quota spent '
    '({"message": "Limit Exceeded"})'
)


def ok(status: int, model: type[BaseModel], description: str) -> dict[int, Any]:
    """A success response whose body is ``model``."""
    return {status: {"description": description, "content": {JSON: {"model": model}}}}


def errors(*raised: type[SnipError], by_reference: bool = False) -> dict[int, Any]:
    """The error responses of an operation that may raise ``raised``, one per status.

    Classes sharing a status share a response whose description names each. ``by_reference``
    writes the body's schema as a $ref, for a path item that bypasses the Event Handler.
    """
    descriptions: dict[int, list[str]] = {}
    for error in raised:
        descriptions.setdefault(status_of(error), []).append(error.description)
    body = {"schema": {"$ref": f"{_SCHEMAS}{ErrorBody.__name__}"}} if by_reference else {"model": ErrorBody}
    return {
        status: {"description": "; ".join(texts), "content": {JSON: body}}
        for status, texts in sorted(descriptions.items())
    }


def _redirect(status: int) -> str:
    default = " (the default)" if status == DEFAULT_REDIRECT_STATUS else ""
    return f"{HTTPStatus(status).phrase}: redirect to the link's URL{default}"


def _string_header(description: str) -> dict[str, Any]:
    return {"description": description, "required": True, "schema": {"type": "string"}}


def follow_path_item() -> PathItem:
    """GET and HEAD /{key}, as resolve answers them (``snip.operations.follow_link.follow``): no body on a
    redirect."""
    operation = {
        "summary": "Follow a short link (served by the resolve function)",
        "parameters": [{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {
            **{
                str(status): {
                    "description": _redirect(status),
                    "headers": {
                        "Location": _string_header("The link's URL"),
                        "Cache-Control": _string_header(REDIRECT_CACHE[status]),
                    },
                }
                for status in REDIRECT_STATUSES
            },
            **{
                str(status): response
                for status, response in errors(
                    LinkNotFound, LinkGone, DependencyUnavailable, by_reference=True
                ).items()
            },
        },
    }
    return PathItem.model_validate({"get": operation, "head": operation})


def _gateway_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {JSON: {"schema": {"$ref": f"{_SCHEMAS}{GATEWAY_MESSAGE}"}}},
    }


def _add_response(responses: dict[str, Any], status: str, response: dict[str, Any]) -> None:
    """Add API Gateway's answer; where a function answers the same status, either body may come."""
    mine = responses.get(status)
    if mine is None:
        responses[status] = response
        return
    schemas = [mine.get("content", {}).get(JSON, {}).get("schema"), response["content"][JSON]["schema"]]
    mine["description"] = f"{mine['description']}; {response['description']}"
    mine["content"] = {JSON: {"schema": {"oneOf": [s for s in schemas if s]}}}


def _describe_the_gateway(operation: dict[str, Any], path: str, method: str) -> None:
    responses: dict[str, Any] = operation["responses"]
    if path.startswith(KEYED_PATH_PREFIX):
        operation["security"] = [{API_KEY: []}]
        # The key's scopes and revocation are checked by shorten (snip.http.scope_middleware), every other
        # refusal by API Gateway: either 403 body may come.
        for code, refusal in errors(InsufficientScope, ApiKeyRevoked, by_reference=True).items():
            _add_response(responses, str(code), refusal)
        _add_response(responses, "403", _gateway_response(_FORBIDDEN))
        if method == "post":
            operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
    _add_response(responses, "429", _gateway_response(_THROTTLED))
    if "201" in responses:
        responses["201"]["headers"] = {"Location": _string_header("The new link: /links/{key}")}
    for status, response in responses.items():
        if status == "204" or method == "head":  # no body, whatever the Event Handler inferred
            response.pop("content", None)
    operation["responses"] = dict(sorted(responses.items()))


def _drop_unreferenced_schemas(doc: dict[str, Any]) -> None:
    """Powertools adds its validation-error models; the service never sends them."""
    schemas: dict[str, Any] = doc["components"]["schemas"]
    while True:
        text = json.dumps({k: v for k, v in doc.items() if k != "components"}) + json.dumps(schemas)
        unused = [name for name in schemas if f'"{_SCHEMAS}{name}"' not in text]
        if not unused:
            return
        for name in unused:
            del schemas[name]


def document(app: APIGatewayRestResolver, **info: Any) -> str:
    """The OpenAPI document of ``app``'s routes plus /{key}, and what API Gateway adds to them."""
    schema = app.get_openapi_schema(**info)
    schema.paths = {**(schema.paths or {}), "/{key}": follow_path_item()}
    doc: dict[str, Any] = json.loads(model_json(schema, by_alias=True, exclude_none=True))
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            _describe_the_gateway(operation, path, method)
    components = doc.setdefault("components", {})
    components.setdefault("schemas", {})[GATEWAY_MESSAGE] = _GATEWAY_SCHEMA
    components["securitySchemes"] = {
        API_KEY: {"type": "apiKey", "in": "header", "name": "x-api-key", "description": "An API key's secret"}
    }
    _drop_unreferenced_schemas(doc)
    return json.dumps(doc, indent=2)
