"""Hostile requests through the local gateway: odd methods and paths, repeated and oversized headers,
raw bytes. Answers are Snip's, API Gateway's or the front door's (CloudFront's) own, never a 5xx, and
a refused request writes nothing.
"""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

from snip.settings import DEFAULT_TABLES, Env
from tests.e2e.stacks import Stack
from tests.reliability import figures
from tests.reliability.handler_clients import assert_snip_error
from tests.reliability.http import table_keys

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
KEY = "local-dev-key"
JSON_TYPE = ("Content-Type", "application/json")
GOOD = json.dumps({"url": "https://example.com/http"}).encode()

# (method, path, headers as sent — repeats allowed, body)
REQUESTS: list[tuple[str, str, list[tuple[str, str]], bytes]] = [
    *[(method, "/links", [("x-api-key", KEY), JSON_TYPE], GOOD)
      for method in ("PUT", "OPTIONS", "TRACE", "PROPFIND", "DELETE", "GET", "HEAD", "FOO")],
    *[(method, "/Abc1234", [], b"") for method in ("POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")],
    *[(method, "/health", [], b"") for method in ("POST", "PUT", "DELETE", "PATCH")],
    ("GET", "/links/a/b", [("x-api-key", KEY)], b""),
    ("GET", "/a/b/c", [], b""),
    ("GET", "/%2e%2e/links", [], b""),
    ("GET", "/" + "a" * 5000, [], b""),
    ("GET", "/%00", [], b""),
    ("GET", "/%F0%9F%98%80", [], b""),
    ("GET", "/links/%FF", [("x-api-key", KEY)], b""),
    ("POST", "/links", [JSON_TYPE], GOOD),
    ("POST", "/links", [("x-api-key", "wrong"), JSON_TYPE], GOOD),
    ("POST", "/links", [("x-api-key", ""), JSON_TYPE], GOOD),
    ("POST", "/links", [("x-api-key", KEY), ("x-api-key", "wrong"), JSON_TYPE], b"{}"),
    ("POST", "/links", [("x-api-key", KEY), JSON_TYPE, ("Content-Type", "text/plain")], b"{}"),
    ("POST", "/links", [("x-api-key", KEY)], GOOD.replace(b"https", b"javascript")),
    ("POST", "/links", [("x-api-key", KEY), JSON_TYPE], b"\x80\x81\xfe\xff"),
    ("POST", "/links", [("x-api-key", KEY), JSON_TYPE], b"{" * 15_000),
    ("POST", "/links", [("x-api-key", KEY), JSON_TYPE], b"x" * 200_000),
    ("POST", "/links", [("x-api-key", KEY), JSON_TYPE, ("Idempotency-Key", "k" * 4000)], b"{}"),
    ("POST", "/links", [("x-api-key", KEY), JSON_TYPE, ("X-Junk", "v" * 7000)], b"{"),
    ("POST", "/links", [("x-api-key", KEY), JSON_TYPE, ("Content-Encoding", "gzip")], b"\x1f\x8b\x08\x00"),
    ("PATCH", "/links/Abc1234", [("x-api-key", KEY), JSON_TYPE], b'{"disabled": true}'),
    ("DELETE", "/links/Abc1234", [("x-api-key", KEY)], b""),
    ("GET", "/Abc1234", [("Accept", "text/html")], b""),
    ("GET", "/Abc1234", [("Accept", "text/html;q=abc, application/json;q=NaN")], b""),
]  # fmt: skip
GATEWAY_MESSAGES = {"Missing Authentication Token", "Forbidden", "Request Too Long"}
# CloudFront's own page: a method the redirect behaviour does not allow (snip_local.cloudfront_standin).
CLOUDFRONT_PAGE = b"<!DOCTYPE HTML PUBLIC"
NOT_GET_OR_HEAD = {"POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"}


def send(
    stack: Stack, method: str, path: str, headers: list[tuple[str, str]], body: bytes
) -> tuple[int, bytes, str]:
    target = urlsplit(stack.base_url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read(), response.getheader("Content-Type") or ""
    finally:
        connection.close()


def test_odd_methods_paths_and_headers_over_http(no_faults_after: Stack) -> None:
    """Every case reads the links table's keys before and after it: on the stack that holds few
    links (the fault suites' own, no fault set), not the one the 10,000-create test fills, where
    those 82 full scans of moto took three minutes and proved nothing more."""
    local_stack = no_faults_after
    statuses: dict[int, int] = {}
    for method, path, headers, body in REQUESTS:
        before = sorted(table_keys(local_stack, LINKS))
        status, raw, content_type = send(local_stack, method, path, headers, body)
        statuses[status] = statuses.get(status, 0) + 1
        label = f"{method} {path[:40]} {headers!r:.80} -> {status} {raw[:200]!r}"
        assert status < 500, label
        if status >= 400 and method != "HEAD":
            if content_type.startswith("text/html") and raw.startswith(CLOUDFRONT_PAGE):
                assert status == 403, label
                assert method in NOT_GET_OR_HEAD, label
                assert b"The request could not be satisfied" in raw, label
            elif content_type.startswith("text/html"):
                assert raw.startswith(b"<!doctype html>"), label
            else:
                answer = json.loads(raw)
                if "error" in answer:
                    assert_snip_error(answer)
                else:  # API Gateway's own answer keeps API Gateway's shape
                    assert answer.get("message") in GATEWAY_MESSAGES, label
            assert sorted(table_keys(local_stack, LINKS)) == before, label
    figures.record("hostile input over HTTP", cases=len(REQUESTS), statuses=dict(sorted(statuses.items())))
