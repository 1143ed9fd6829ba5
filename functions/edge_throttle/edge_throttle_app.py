"""The front door's throttle page (context edgeThrottlePage): a Lambda@Edge origin-response function
on the redirect behaviour.

Over resolve's reserved concurrency its Function URL answers ``429`` with Lambda's own body, and
CloudFront can replace neither that status with a custom error response nor any status of 400 and
above with a CloudFront Function. This function turns such a ``429`` into the contract's short
page: the HTML page when the visitor prefers ``text/html``, else the JSON error, as resolve's own
errors are (the same ``error_bodies`` module, carried in this folder), with ``Retry-After`` and
``Cache-Control: no-store``; a ``HEAD`` gets the headers only. resolve itself never answers
``429`` (``snip.http.error_status``), so every ``429`` here is the platform's; every other response
(resolve's redirects, its 404/410 pages, its 503 with ``Retry-After``) passes untouched.

Standard library only: Lambda@Edge takes no layer and no environment variables.
"""

from __future__ import annotations

from typing import Any

from error_bodies import HTML, JSON, error_body, error_page, prefers_html

THROTTLED = "429"
CODE = "too_many_requests"
MESSAGE = "Too many visitors are following links right now. Please try again in a moment."
# Lambda scales up by the second: a visitor may try again at once.
RETRY_AFTER_SECONDS = 1
# The length of the origin's body, which this page replaces (CloudFront measures the new one).
DROPPED = frozenset({"content-length"})


def _header(headers: dict[str, list[dict[str, str]]], name: str) -> str | None:
    values = headers.get(name.lower())
    return values[0]["value"] if values else None


def _set(headers: dict[str, list[dict[str, str]]], name: str, value: str) -> None:
    headers[name.lower()] = [{"key": name, "value": value}]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    cf = event["Records"][0]["cf"]
    response: dict[str, Any] = cf["response"]
    if response["status"] != THROTTLED:
        return response
    request = cf["request"]
    html = prefers_html(_header(request.get("headers", {}), "Accept"))
    headers = {name: values for name, values in response.get("headers", {}).items() if name not in DROPPED}
    _set(headers, "Content-Type", HTML if html else JSON)
    _set(headers, "Cache-Control", "no-store")
    _set(headers, "Retry-After", str(RETRY_AFTER_SECONDS))
    response["headers"] = headers
    response["statusDescription"] = "Too Many Requests"
    if request.get("method") != "HEAD":
        response["body"] = error_page(429, MESSAGE) if html else error_body(CODE, MESSAGE)
        response["bodyEncoding"] = "text"
    return response
