"""GET /openapi.json says exactly what the service and API Gateway in front of it do.

Nullable only what accepts null, no body declared where none is sent, API Gateway's key, header,
403 and 429 declared where it answers them, and no schema the service never sends.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from snip.http.responses import JSON
from snip_deploy.routes import ROUTES
from tests.service.conftest import Call

KEY_HEADER = {"x-api-key": "ignored by the handler"}


def document(call: Call) -> dict[str, Any]:
    reply = call("GET", "/openapi.json", api_key_id=None)
    assert reply.status == 200
    return dict(json.loads(reply.body))


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, item in doc["paths"].items() for method, op in item.items()]


def nullable(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or any(nullable(s) for s in schema.get("anyOf", []))


def test_patch_declares_null_only_where_null_clears(call: Call) -> None:
    doc = document(call)
    patch = doc["components"]["schemas"]["LinkPatch"]["properties"]
    assert {name for name, schema in patch.items() if nullable(schema)} == {
        "expires_at", "max_visits", "title", "notes",
        "rules", "split", "forward_query",
    }  # fmt: skip


@pytest.mark.parametrize("field", ["url", "redirect_status", "disabled"])
def test_the_service_refuses_null_where_the_document_does(call: Call, field: str) -> None:
    created = call("POST", "/links", body={"url": "https://example.com/n"})
    reply = call("PATCH", f"/links/{created.json['key']}", body={field: None})
    assert (reply.status, reply.error_code) == (400, f"invalid_{field}")


def test_answers_without_a_body_declare_none(call: Call) -> None:
    doc = document(call)
    for method, path, op in operations(doc):
        for status, response in op["responses"].items():
            if status == "204" or status.startswith("3") or method == "HEAD":
                assert "content" not in response, f"{method} {path} {status}"


def test_answers_without_a_body_are_not_labelled_json(call: Call) -> None:
    created = call("POST", "/links", body={"url": "https://example.com/e"})
    key = created.json["key"]
    redirect = call("GET", f"/{key}", api_key_id=None)
    deleted = call("DELETE", f"/links/{key}")
    for reply in (redirect, deleted):
        assert reply.status in (204, 302)
        assert reply.body == ""
        assert not reply.headers["Content-Type"].startswith(JSON)


def test_keyed_routes_declare_the_api_key_and_api_gateways_403(call: Call) -> None:
    doc = document(call)
    scheme = doc["components"]["securitySchemes"]["apiKey"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "x-api-key"}
    keyed = {(r.method, r.path) for r in ROUTES if r.api_key_required}
    for method, path, op in operations(doc):
        if (method, path) in keyed:
            assert op["security"] == [{"apiKey": []}], f"{method} {path}"
            forbidden = op["responses"]["403"]["content"][JSON]["schema"]
            assert "GatewayMessage" in json.dumps(forbidden)
        else:
            assert "security" not in op, f"{method} {path}"
            assert "403" not in op["responses"], f"{method} {path}"


def test_every_route_may_be_throttled_by_api_gateway(call: Call) -> None:
    doc = document(call)
    assert doc["components"]["schemas"]["GatewayMessage"]["required"] == ["message"]
    for method, _, op in operations(doc):
        throttled = op["responses"]["429"]
        if method == "HEAD":  # API Gateway's body is not sent to a HEAD either
            assert "content" not in throttled
            continue
        assert throttled["content"][JSON]["schema"] == {"$ref": "#/components/schemas/GatewayMessage"}


def test_post_links_declares_idempotency_key_and_location(call: Call) -> None:
    create = document(call)["paths"]["/links"]["post"]
    (header,) = [p for p in create["parameters"] if p["in"] == "header"]
    assert (header["name"], header["required"], header["schema"]["maxLength"]) == (
        "Idempotency-Key",
        False,
        128,
    )
    assert create["responses"]["201"]["headers"]["Location"]["required"] is True
    reply = call("POST", "/links", body={"url": "https://example.com/l"}, headers={"Idempotency-Key": "k-1"})
    assert reply.status == 201
    assert reply.headers["Location"] == f"/links/{reply.json['key']}"


def test_redirects_declare_location_and_cache_control(call: Call) -> None:
    follow = document(call)["paths"]["/{key}"]
    for op in follow.values():
        for status in ("301", "302", "307", "308"):
            assert set(op["responses"][status]["headers"]) == {"Location", "Cache-Control"}


def test_no_schema_the_service_never_sends(call: Call) -> None:
    doc = document(call)
    schemas = set(doc["components"]["schemas"])
    assert not schemas & {"HTTPValidationError", "ValidationError", "ResponseValidationError"}
    text = json.dumps(doc["paths"])
    for name in schemas:  # each is reachable from an operation, directly or through another schema
        assert f'/{name}"' in text or f'/{name}"' in json.dumps(doc["components"]["schemas"])
    # 422 is Snip's own idempotency_mismatch, on the three routes that take an Idempotency-Key.
    assert "422" not in json.dumps(
        {p: i for p, i in doc["paths"].items() if p not in ("/links", "/links/batch", "/links/bulk")}
    )
