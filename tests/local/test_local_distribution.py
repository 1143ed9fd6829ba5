"""The CloudFront stand-in's routing and the Function URL events it makes (snip_local.cloudfront_standin)."""

from __future__ import annotations

import pytest

from snip_local.cloudfront_standin import (
    FUNCTION_URL_HOST,
    LocalDistribution,
    forwarded_cookies,
    function_url_event,
)
from snip_local.routing import TEST_PREFIX


@pytest.mark.parametrize(
    ("path", "api"),
    [
        ("/links", True),
        ("/links/", True),
        ("/links/abc", True),
        ("/links/abc/stats", True),
        ("/links/batch", True),
        ("/health", True),
        ("/openapi.json", True),
        ("/", True),
        ("/_/console.1a2b3c.js", True),
        ("/__test__/probe", True),  # the local stack's test-only functions
        ("/linkshare", False),
        ("/links-promo", False),
        ("/Links", False),  # patterns are case-sensitive, as keys are
        ("/healthy", False),
        ("/health/x", False),
        ("/openapi", False),
        ("/_underscore", False),
        ("/Abc1234", False),
        ("/a/b/c", False),
    ],
)
def test_the_api_patterns_take_the_apis_paths_and_nothing_else(path: str, api: bool) -> None:
    assert LocalDistribution([TEST_PREFIX + "/"]).goes_to_the_api(path) is api


def test_the_event_forwards_the_policys_headers_and_cookie_only() -> None:
    event = function_url_event(
        method="HEAD",
        raw_path="/Abc1234",
        raw_query="qr=1&a=1&a=2",
        headers=[
            ("Host", "127.0.0.1:8080"),
            ("X-Amz-Cf-Id", "client"),
            ("User-Agent", "curl/8"),
            ("Accept-Language", "de"),
            ("Accept-Language", "fr"),
            ("CloudFront-Viewer-Country", "AT"),
            ("Cookie", "a=1; snip_vid=abc"),
            ("Authorization", "secret"),
        ],
        source_ip="127.0.0.1",
        cf_id="edge-id",
        request_id="d5d2a1c4-0000-4000-8000-000000000000",
    )
    headers = event["headers"]
    assert headers["host"] == FUNCTION_URL_HOST
    assert headers["x-amz-cf-id"] == "edge-id"
    assert headers["accept-language"] == "de,fr"
    assert headers["cloudfront-viewer-country"] == "AT"
    assert "authorization" not in headers
    assert "cookie" not in headers
    assert event["cookies"] == ["snip_vid=abc"]
    assert event["queryStringParameters"] == {"qr": "1", "a": "1,2"}
    assert event["requestContext"]["http"]["method"] == "HEAD"


def test_a_request_without_query_or_cookie_has_neither_field() -> None:
    event = function_url_event(
        method="GET",
        raw_path="/k",
        raw_query="",
        headers=[],
        source_ip="127.0.0.1",
        cf_id="x",
        request_id="r",
    )
    assert "queryStringParameters" not in event
    assert "cookies" not in event


def test_unreadable_cookie_headers_forward_nothing() -> None:
    assert forwarded_cookies(['snip_vid="unterminated', "other=1"]) == []
    assert forwarded_cookies(["snip_vid=1", "snip_vid=2"]) == ["snip_vid=1", "snip_vid=2"]
