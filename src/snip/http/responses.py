"""HTTP details shared by the functions: error bodies, content negotiation, caching headers.

The only module that builds Lambda proxy responses (``{"statusCode": ...}``): domain code
returns results or raises ``SnipError``, and the handlers answer through here.

Kept free of heavy imports: the resolve function loads this on its cold start.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import TypedDict

from snip.domain.errors import DependencyUnavailable, SnipError
from snip.domain.validation import REDIRECT_STATUSES
from snip.http.error_status import status_of

JSON = "application/json"
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


def _quality(accept: str, media: str) -> float:
    best, best_specificity = 0.0, -1
    kind = media.split("/")[0]
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        rng = fields[0].lower()
        q = 1.0
        for param in fields[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        specificity = {media: 2, f"{kind}/*": 1, "*/*": 0}.get(rng, -1)
        if specificity > best_specificity:
            best, best_specificity = q, specificity
    return best


def prefers_html(accept: str | None) -> bool:
    """True when the client ranks text/html above application/json (browsers do; curl doesn't)."""
    if not accept:
        return False
    return _quality(accept, "text/html") > _quality(accept, JSON)


def error_body(code: str, message: str) -> str:
    return json.dumps({"error": {"code": code, "message": message}})


def error_page(status: int, message: str) -> str:
    title = {404: "Link not found", 410: "Link no longer active"}.get(status, "Something went wrong")
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{title}</title><body style='font:16px system-ui;margin:4em auto;max-width:32em'>"
        f"<h1>{title}</h1><p>{html.escape(message)}</p></body></html>"
    )


def error_response(error: SnipError, accept: str | None = None) -> ProxyResponse:
    """A Lambda proxy response for a domain error: JSON, or a small page for browsers."""
    status = status_of(error)
    headers = {"Cache-Control": NO_STORE}
    if isinstance(error, DependencyUnavailable):
        headers["Retry-After"] = str(error.retry_after)
    if prefers_html(accept):
        headers["Content-Type"] = "text/html; charset=utf-8"
        body = error_page(status, error.message)
    else:
        headers["Content-Type"] = JSON
        body = error_body(error.code, error.message)
    return {"statusCode": status, "headers": headers, "body": body, "isBase64Encoded": False}


def redirect_response(url: str, status: int) -> ProxyResponse:
    """A Lambda proxy response for a redirect: a status, a Location and a Cache-Control, and no body."""
    return {
        "statusCode": status,
        "headers": {"Location": url, "Cache-Control": REDIRECT_CACHE[status], "Content-Type": EMPTY_BODY},
        "body": "",
        "isBase64Encoded": False,
    }
