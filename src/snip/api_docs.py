"""Pieces of the links API's OpenAPI document that are not read off a route.

Error responses are described from the error classes themselves (status, description), so the
document cannot list a status the code does not raise. GET/HEAD /{key} is served by resolve,
which has no Event Handler: its path item is written here once and merged into the document
shorten generates, so shorten carries no copy of the redirect route.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.compat import model_json
from aws_lambda_powertools.event_handler.openapi.models import PathItem
from pydantic import BaseModel

from snip.errors import DependencyUnavailable, LinkGone, LinkNotFound, SnipError
from snip.models import ErrorBody
from snip.validation import DEFAULT_REDIRECT_STATUS, REDIRECT_STATUSES
from snip.web import JSON

_SCHEMAS = "#/components/schemas/"


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
        descriptions.setdefault(error.status, []).append(error.description)
    body = {"schema": {"$ref": f"{_SCHEMAS}{ErrorBody.__name__}"}} if by_reference else {"model": ErrorBody}
    return {
        status: {"description": "; ".join(texts), "content": {JSON: body}}
        for status, texts in sorted(descriptions.items())
    }


def _redirect(status: int) -> str:
    default = " (the default)" if status == DEFAULT_REDIRECT_STATUS else ""
    return f"{HTTPStatus(status).phrase}: redirect to the link's URL{default}"


def follow_path_item() -> PathItem:
    """GET and HEAD /{key}, as resolve answers them (``snip.redirect.follow``)."""
    operation = {
        "summary": "Follow a short link (served by the resolve function)",
        "parameters": [{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {
            **{str(status): {"description": _redirect(status)} for status in REDIRECT_STATUSES},
            **{
                str(status): response
                for status, response in errors(
                    LinkNotFound, LinkGone, DependencyUnavailable, by_reference=True
                ).items()
            },
        },
    }
    return PathItem.model_validate({"get": operation, "head": operation})


def document(app: APIGatewayRestResolver, **info: Any) -> str:
    """The OpenAPI document of ``app``'s routes plus /{key}, serialized as Powertools does."""
    schema = app.get_openapi_schema(**info)
    schema.paths = {**(schema.paths or {}), "/{key}": follow_path_item()}
    return str(model_json(schema, by_alias=True, exclude_none=True, indent=2))
