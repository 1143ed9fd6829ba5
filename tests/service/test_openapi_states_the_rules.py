"""The OpenAPI document states the rules the server enforces on a value alone (issue 20.6).

Each probe is sent to the service and checked against the schema /openapi.json gives for it
(jsonschema): a value the document accepts is one the server does not refuse for its type, length
or characters, and a value the server refuses so, the document refuses too. What JSON Schema
cannot say (a URL's host, an expiry in the future, a reserved alias: docs/reliability.md's FP2)
is left out of the probes.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from tests.service.conftest import Call

pytestmark = pytest.mark.usefixtures("filled_pool")


def document(call: Call) -> dict[str, Any]:
    reply = call("GET", "/openapi.json", api_key_id=None)
    assert reply.status == 200
    return dict(json.loads(reply.body))


def schema_accepts(schema: dict[str, Any], value: Any, doc: dict[str, Any]) -> bool:
    resolver_schema = {**schema, "components": doc["components"]}
    return jsonschema.Draft202012Validator(resolver_schema).is_valid(value)


def parameter(doc: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    (found,) = [p for p in doc["paths"][path]["get"]["parameters"] if p["name"] == name]
    return dict(found["schema"])


URLS = [
    "", "h", "https://example.com/x", "HTTP://example.com/", "ftp://example.com/", "example.com/x",
    "https://example.com/a b", "https://example.com/\t", "https://exa\\mple.com/", "//example.com/",
    "https://" + "a" * 2050, "mailto:someone@example.com", "https://example.com/\u3000",
]  # fmt: skip


@pytest.mark.parametrize("url", URLS, ids=repr)
def test_a_url_the_document_refuses_the_server_refuses(call: Call, url: str) -> None:
    doc = document(call)
    schema = {"$ref": "#/components/schemas/LinkCreate"}
    documented = schema_accepts(schema, {"url": url}, doc)
    reply = call("POST", "/links", body={"url": url})
    assert reply.status in (201, 400), reply.body
    assert documented == (reply.status == 201), (url, reply.body)


@pytest.mark.parametrize("url", ["", "ftp://example.com/", "https://example.com/a b"], ids=repr)
def test_so_does_a_patch(call: Call, url: str) -> None:
    doc = document(call)
    key = call("POST", "/links", body={"url": "https://example.com/p"}).json["key"]
    reply = call("PATCH", f"/links/{key}", body={"url": url})
    assert (reply.status, reply.error_code) == (400, "invalid_url")
    assert not schema_accepts({"$ref": "#/components/schemas/LinkPatch"}, {"url": url}, doc)


# No "tag\n": jsonschema reads patterns with Python's re, whose $ also matches before a final newline
# (ECMA's, the document's dialect, does not; the server refuses it).
TAGS = ["launch", "Launch", "q3_2030-x", "", "a b", "x" * 32, "x" * 33, "café", "tag!"]


@pytest.mark.parametrize("tag", TAGS, ids=repr)
def test_the_tag_filter_is_documented_as_the_server_reads_it(call: Call, tag: str) -> None:
    doc = document(call)
    documented = schema_accepts(parameter(doc, "/links", "tag"), tag, doc)
    reply = call("GET", "/links", query={"tag": tag})
    assert reply.status in (200, 400), reply.body
    assert documented == (reply.status == 200), (tag, reply.body)
    if reply.status == 400:
        assert reply.error_code == "invalid_tags"


def test_instants_are_documented_as_date_times(call: Call) -> None:
    doc = document(call)
    created = doc["components"]["schemas"]["LinkCreate"]["properties"]["expires_at"]["anyOf"][0]
    assert created["format"] == "date-time"
    for name in ("from", "to"):
        (kind, _) = parameter(doc, "/links/{key}/stats", name)["anyOf"]
        assert kind == {"type": "string", "format": "date-time"}
