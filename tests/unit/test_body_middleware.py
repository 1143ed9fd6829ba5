"""The body-check middleware on its own: what it refuses, what it hands on, and in which order
the links API runs it (before Powertools' request validation)."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from typing import Any

import pytest
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
)
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from snip.domain.errors import BodyTooLarge, InvalidInput, UnsupportedMediaType
from snip.domain.validation import MAX_BODY_BYTES
from snip.http.body_middleware import check_json_body, middlewares


def run(body: str | bytes | None, *, method: str = "POST", media: str | None = "application/json") -> Any:
    """The middleware on an event; returns the headers the next middleware sees."""
    event: dict[str, Any] = {"httpMethod": method, "headers": {}, "body": body, "isBase64Encoded": False}
    if media is not None:
        event["headers"]["content-TYPE"] = media
    if isinstance(body, bytes):
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    app = SimpleNamespace(current_event=APIGatewayProxyEvent(event))
    seen: list[dict[str, str]] = []
    check_json_body(app, lambda app: seen.append(dict(app.current_event.raw_event["headers"])))  # type: ignore[arg-type]
    return seen[0]


def test_a_body_of_exactly_the_limit_passes_and_one_byte_more_is_413() -> None:
    padded = '{"url": "https://e.com/"}'.ljust(MAX_BODY_BYTES)
    run(padded)
    with pytest.raises(BodyTooLarge):
        run(padded + " ")


@pytest.mark.parametrize("media", ["text/plain", "application/jsonx", None])
def test_other_media_types_are_415(media: str | None) -> None:
    with pytest.raises(UnsupportedMediaType):
        run("{}", media=media)


@pytest.mark.parametrize("body", ["{", "[" * 10_000, json.dumps({"a": 1}).encode("utf-16")])
def test_bodies_that_are_not_utf8_json_are_invalid_json(body: str | bytes) -> None:
    with pytest.raises(InvalidInput) as raised:
        run(body)
    assert raised.value.code == "invalid_json"


def test_the_content_type_is_handed_on_in_its_canonical_spelling() -> None:
    assert run("{}", media="Application/JSON; charset=utf-8") == {"Content-Type": "application/json"}


def test_reads_are_not_checked() -> None:
    assert run("not json at all", method="GET", media="text/plain") == {"content-TYPE": "text/plain"}


def test_the_check_runs_before_request_validation() -> None:
    chain = middlewares()
    assert chain[0] is check_json_body
    assert isinstance(chain[1], OpenAPIRequestValidationMiddleware)
