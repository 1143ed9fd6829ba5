from __future__ import annotations

import json

import pytest

from snip.domain.errors import DependencyUnavailable, LinkGone, LinkNotFound
from snip.domain.validation import REDIRECT_STATUSES
from snip.http import responses


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        ("*/*", False),
        (None, False),
        ("application/json", False),
        ("text/html;q=0.5, application/json", False),
        ("text/*", True),
        ("text/html;q=bogus, application/json;q=0.1", False),  # a malformed q counts as 0
    ],
)
def test_prefers_html(accept: str | None, html: bool) -> None:
    assert responses.prefers_html(accept) is html


def test_headers_are_case_insensitive() -> None:
    assert responses.header({"user-AGENT": "x"}, "User-Agent") == "x"
    assert responses.header(None, "Accept") is None


def test_the_cache_table_covers_exactly_the_redirect_statuses() -> None:
    assert set(responses.REDIRECT_CACHE) == set(REDIRECT_STATUSES)
    assert set(REDIRECT_STATUSES) > responses.PERMANENT_REDIRECTS


def test_error_response_json_and_retry_after() -> None:
    response = responses.error_response(DependencyUnavailable("down"))
    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"] == "1"
    assert json.loads(response["body"]) == {"error": {"code": "service_unavailable", "message": "down"}}


def test_error_page_escapes_the_message() -> None:
    response = responses.error_response(LinkNotFound("<script>"), "text/html")
    assert "<script>" not in response["body"]
    assert response["headers"]["Content-Type"].startswith("text/html")
    assert responses.error_response(LinkGone("x"))["statusCode"] == 410
