"""shorten answers POST /links through the lean path (``snip.links_api.lean_create``), without
the Event Handler; the Event Handler's route (``snip.links_api.event_handler_app``) documents it
and would answer it the same: status, headers and body, for valid and every kind of invalid
input, a replay and a refused scope alike."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from snip.http.api_models import LinkCreated
from snip.links_api import lean_create
from tests.service.conftest import LambdaContext
from tests.service.lambda_events import rest_event

BODIES: list[Any] = [
    {"url": "https://example.com/a"},
    {"url": "https://example.com/a", "tags": ["Q3", "launch"], "redirect_status": 301, "max_visits": 5},
    {"url": "https://example.com/a", "expires_at": "2999-01-01T00:00:00.5+02:00"},
    {"url": "ftp://example.com/a"},
    {"url": "https://sho.rt/loop"},
    {"url": 5},
    {"url": "https://example.com/a", "extra": 1},
    {"url": "https://example.com/a", "alias": "links"},
    {"url": "https://example.com/a", "redirect_status": 302.0},
    {"url": "https://example.com/a", "tags": ["a"] * 11},
    {},
    [],
]


def _answer(handler: Any, event: dict[str, Any]) -> tuple[int, dict[str, Any], str]:
    response = handler(json.loads(json.dumps(event)), LambdaContext())
    headers = dict(response.get("multiValueHeaders") or {})
    body = response["body"]
    if response["statusCode"] == 201:  # keys and times differ from one create to the next
        link = json.loads(body)
        assert headers.pop("Location") == [f"/links/{link['key']}"]
        link.update(key="K", short_url="U", created_at="T")
        body = json.dumps(link)
    return response["statusCode"], headers, body


def _events() -> list[dict[str, Any]]:
    events = [rest_event("POST", "/links", body=body)[1] for body in BODIES]
    raw = rest_event("POST", "/links", body={"url": "https://example.com/a"})[1]
    as_text = {**raw, "headers": {**raw["headers"], "Content-Type": "text/plain"}}
    too_large = {**raw, "body": json.dumps({"url": "https://example.com/" + "a" * 17000})}
    not_utf8 = {
        **raw,
        "body": base64.b64encode('{"url": "\xff"}'.encode("latin-1")).decode(),
        "isBase64Encoded": True,
    }
    bad_key = rest_event(
        "POST", "/links", body={"url": "https://example.com/a"}, headers={"Idempotency-Key": "a b"}
    )
    return [*events, as_text, too_large, not_utf8, {**raw, "body": "{not json"}, bad_key[1]]


def test_the_entry_point_serves_post_links_through_the_lean_path() -> None:
    assert lean_create.serves(rest_event("POST", "/links", body={})[1])
    assert not lean_create.serves(rest_event("POST", "/links/batch", body={"links": []})[1])
    assert not lean_create.serves(rest_event("GET", "/links")[1])


def test_answers_list_the_created_fields_in_the_models_order() -> None:
    assert tuple(LinkCreated.model_fields) == lean_create.CREATED_FIELDS


@pytest.mark.usefixtures("filled_pool")
@pytest.mark.parametrize("index", range(len(_events())))
def test_post_links_answers_as_the_event_handler_route(handlers: dict[str, Any], index: int) -> None:
    from snip.links_api import event_handler_app

    event = _events()[index]
    assert _answer(handlers["shorten"], event) == _answer(event_handler_app.handler, event)


@pytest.mark.usefixtures("filled_pool")
def test_a_taken_alias_and_a_replay_answer_alike(handlers: dict[str, Any]) -> None:
    from snip.links_api import event_handler_app

    _, event = rest_event("POST", "/links", body={"url": "https://example.com/a", "alias": "taken-one"})
    assert _answer(handlers["shorten"], event)[0] == 201
    assert _answer(handlers["shorten"], event) == _answer(event_handler_app.handler, event)
    _, once = rest_event(
        "POST", "/links", body={"url": "https://example.com/b"}, headers={"Idempotency-Key": "k1"}
    )
    first = handlers["shorten"](json.loads(json.dumps(once)), LambdaContext())
    assert first["statusCode"] == 201
    for handler in (handlers["shorten"], event_handler_app.handler):
        again = handler(json.loads(json.dumps(once)), LambdaContext())
        assert (again["statusCode"], again["body"]) == (201, first["body"])
