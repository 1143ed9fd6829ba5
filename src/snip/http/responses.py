"""HTTP details shared by the functions: proxy responses, headers, caching headers (an error's body
and the choice between JSON and a page: ``snip.http.error_bodies``).

The only module that builds Lambda proxy responses (``{"statusCode": ...}``): domain code
returns results or raises ``SnipError``, and the handlers answer through here.

Kept free of heavy imports: the resolve function loads this on its cold start.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

from snip.domain.errors import DependencyUnavailable, SnipError
from snip.domain.validation import REDIRECT_STATUSES
from snip.http.error_bodies import HTML, JSON, error_body, error_page, prefers_html
from snip.http.error_status import status_of

# API Gateway labels an answer that names no type application/json, and an empty body is no
# JSON document: the answers without a body (redirects, 204) name this type instead.
EMPTY_BODY = "text/plain; charset=utf-8"

# Permanent redirects may be cached anywhere for an hour; temporary ones never by a shared
# cache, so that an edit, a delete or an expiry takes effect at once (and every visit counts).
PERMANENT_REDIRECTS = frozenset({301, 308})
REDIRECT_CACHE = {
    status: "public, max-age=3600" if status in PERMANENT_REDIRECTS else "private, no-store"
    for status in REDIRECT_STATUSES
}
NO_STORE = "no-store"
# An answer that depends on its visitor (redirect rules, a split): no cache may keep it.
PERSONAL = "private, no-store"
# A QR code of a link only changes if its short URL does (never): the owner's browser keeps it.
QR_CACHE = "private, max-age=86400"


class ProxyResponse(TypedDict):
    """A Lambda proxy response (REST API, payload 1.0) with single-value headers."""

    statusCode: int
    headers: dict[str, str]
    body: str
    isBase64Encoded: bool


class MultiValueProxyResponse(TypedDict):
    """A REST API proxy response as Powertools' APIGatewayRestResolver builds it: every header as
    a list (``snip.links_api.lean_create`` answers so too)."""

    statusCode: int
    body: str
    isBase64Encoded: bool
    multiValueHeaders: dict[str, list[str]]


def header(headers: object, name: str) -> str | None:
    """A request header, case-insensitively (API Gateway keeps the client's spelling);
    ``headers``: a Lambda proxy event's, a mapping or null."""
    if not isinstance(headers, Mapping):
        return None
    lowered = name.lower()
    for key, value in headers.items():
        if str(key).lower() == lowered:
            return value if isinstance(value, str) else None
    return None


def event_object(event: Mapping[str, object], name: str) -> Mapping[str, object]:
    """A Lambda proxy event's object ``name`` (``requestContext``, its ``identity``); empty if
    absent or null."""
    value = event.get(name)
    return value if isinstance(value, Mapping) else {}


def event_text(event: Mapping[str, object], name: str) -> str:
    """A Lambda proxy event's string ``name`` (``httpMethod``, ``resource``, ``body``); empty if
    absent or null."""
    value = event.get(name)
    return value if isinstance(value, str) else ""


def error_response(error: SnipError, accept: str | None = None) -> ProxyResponse:
    """A Lambda proxy response for a domain error: JSON, or a small page for browsers."""
    status = status_of(error)
    headers = {"Cache-Control": NO_STORE}
    if isinstance(error, DependencyUnavailable):
        headers["Retry-After"] = str(error.retry_after)
    if prefers_html(accept):
        headers["Content-Type"] = HTML
        body = error_page(status, error.message)
    else:
        headers["Content-Type"] = JSON
        body = error_body(error.code, error.message)
    return {"statusCode": status, "headers": headers, "body": body, "isBase64Encoded": False}


def redirect_response(
    url: str, status: int, *, personal: bool = False, visitor_cookie: str | None = None
) -> ProxyResponse:
    """A Lambda proxy response for a redirect: a status, a Location and a Cache-Control, and no body;
    ``personal`` (chosen by rules or a split) never cached; ``visitor_cookie``: a split's new
    snip_vid to set (one Set-Cookie header, which both payload formats pass on)."""
    headers = {
        "Location": url,
        "Cache-Control": PERSONAL if personal else REDIRECT_CACHE[status],
        "Content-Type": EMPTY_BODY,
    }
    if visitor_cookie is not None:
        from snip.domain.redirect_rules import VISITOR_COOKIE, VISITOR_COOKIE_ATTRIBUTES

        headers["Set-Cookie"] = f"{VISITOR_COOKIE}={visitor_cookie}; {VISITOR_COOKIE_ATTRIBUTES}"
    return {"statusCode": status, "headers": headers, "body": "", "isBase64Encoded": False}
