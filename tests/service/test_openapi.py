"""GET /openapi.json: generated from the routes and models the code serves."""

from __future__ import annotations

import json
from typing import Any

from openapi_spec_validator import validate

from snip.domain.errors import (
    AliasTaken,
    BodyTooLarge,
    DependencyUnavailable,
    IdempotencyMismatch,
    InvalidInput,
    RequestInProgress,
    UnsupportedMediaType,
)
from snip.http.error_status import status_of
from snip_deploy.routes import ROUTES
from tests.service.conftest import Call, LambdaContext
from tests.service.lambda_events import rest_event, to_reply


def document(call: Call) -> dict:
    reply = call("GET", "/openapi.json", api_key_id=None)
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json"
    return json.loads(reply.body)


def test_is_a_valid_openapi_3_document(call: Call) -> None:
    doc = document(call)
    assert doc["openapi"].startswith("3.")
    validate(doc)


def test_documents_exactly_the_routes_api_gateway_serves(call: Call) -> None:
    """Every API operation, and nothing else: the console's page and assets (GET / and
    GET /_/{file}) are routes of the same API Gateway but serve a web page, not the HTTP API."""
    paths = document(call)["paths"]
    documented = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    assert documented == {(r.method, r.path) for r in ROUTES if r.api_operation}
    console = {(r.method, r.path) for r in ROUTES if not r.api_operation}
    assert console == {("GET", "/"), ("GET", "/_/{file}")}


def test_request_and_response_schemas_come_from_the_models(call: Call) -> None:
    doc = document(call)
    create = doc["paths"]["/links"]["post"]
    body_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schemas = doc["components"]["schemas"]
    body = schemas[body_ref.split("/")[-1]]
    assert set(body["properties"]) == {
        "url", "alias", "expires_at", "max_visits", "redirect_status", "tags", "title", "notes",
        "rules", "split", "forward_query",
    }  # fmt: skip
    assert body["required"] == ["url"]
    assert body.get("additionalProperties") is False
    created = create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    assert created.endswith("/LinkCreated")
    assert "400" in create["responses"]
    assert "503" in create["responses"]
    patch = doc["paths"]["/links/{key}"]["patch"]["requestBody"]["content"]["application/json"]
    assert patch["schema"]["$ref"].endswith("/LinkPatch")


def test_error_responses_are_described_by_the_error_classes(call: Call) -> None:
    create = document(call)["paths"]["/links"]["post"]["responses"]
    for error in (
        InvalidInput,
        BodyTooLarge,
        UnsupportedMediaType,
        IdempotencyMismatch,
        DependencyUnavailable,
    ):
        assert create[str(status_of(error))]["description"] == error.description
    assert AliasTaken.description in create["409"]["description"]
    assert RequestInProgress.description in create["409"]["description"]


def test_the_redirect_is_documented_but_served_by_resolve_only(handlers: dict[str, Any]) -> None:
    _, event = rest_event("GET", "/Abc1234", api_key_id=None)  # API Gateway sends this to resolve
    reply = to_reply(handlers["shorten"](event, LambdaContext()))
    assert (reply.status, reply.error_code) == (404, "not_found")
