"""What resolve reads from the two events it is called with, read the same way.

* **Function URL events** (payload format 2.0, ``"version": "2.0"``): the front door.
  CloudFront sends ``GET``/``HEAD /{key}`` to resolve's Function URL (IAM auth, signed by the
  distribution's Origin Access Control, so nothing else can call it). The key is the one segment of
  ``rawPath``; the headers arrive lower-cased, the query as ``rawQueryString``.
* **REST API proxy events** (payload format 1.0): the API-Gateway-only shape, ``GET /{key}`` on the
  REST API. The key is the ``{key}`` path parameter.

Both give the same ``RedirectRequest`` and so the same answer. A visit's id (the visit event's id,
which makes a repeat of the same request count once) is CloudFront's ``X-Amz-Cf-Id`` in a Function
URL event, API Gateway's ``requestId`` in a REST event (Lambda's request id when neither is there).
The host the origin sees is never read: resolve builds nothing from it.

Kept free of heavy imports: resolve loads this on its cold start.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote

from snip.http.responses import event_object, event_text, header
from snip.operations.follow_link import Visit

if TYPE_CHECKING:
    from snip.domain.redirect_rules import Visitor

FUNCTION_URL_PAYLOAD = "2.0"
# CloudFront's id of a viewer request, sent to the origin on every attempt of that request (a
# retry of the origin after a lost answer carries the same id); CloudFront overwrites any value a
# viewer sent.
CLOUDFRONT_REQUEST_ID = "X-Amz-Cf-Id"
VIEWER_COUNTRY = "CloudFront-Viewer-Country"


class RedirectRequest:
    """A ``GET`` or ``HEAD /{key}``, whichever event carried it. A plain class, not a dataclass:
    a dataclass costs resolve's cold start a code generation at import."""

    __slots__ = ("event", "headers", "key", "request_id", "visit")

    def __init__(
        self,
        key: str,
        headers: Mapping[str, object],
        request_id: str,
        visit: Visit | None,
        event: Mapping[str, object] | None = None,
    ) -> None:
        self.key = key  # "" when the path is not exactly one segment: no link has it (404)
        self.headers = headers  # as the event has them; read with snip.http.responses.header
        self.request_id = request_id  # the visit's id
        self.visit = visit  # None for a HEAD: it answers like GET and counts nothing
        self.event = event or {}  # the whole event, for what only rules and a split read

    def visitor(self) -> Visitor:
        """What redirect rules and a split read of the visitor: made only for a link with some,
        so a bare link's redirect parses no query, cookie or Accept-Language (nor loads the module
        that reads them)."""
        from snip.domain.redirect_rules import VISITOR_COOKIE, Visitor, preferred_language, visitor_id

        event = self.event
        headers = {str(name).lower(): value for name, value in self.headers.items()}
        raw_query: str | None = None
        if is_function_url_event(event):
            raw_query = event_text(event, "rawQueryString")
            query = tuple(parse_qsl(raw_query, keep_blank_values=True))
            cookies = _texts(event.get("cookies"))
        else:  # API Gateway gives the query decoded, by name
            parameters = event_object(event, "multiValueQueryStringParameters")
            query = tuple((name, value) for name, values in parameters.items() for value in _texts(values))
            cookie_header = headers.get("cookie")
            cookies = tuple(cookie_header.split(";")) if isinstance(cookie_header, str) else ()
        country = _text(headers.get("cloudfront-viewer-country")).strip().upper()
        return Visitor(
            country=country or None,
            user_agent=_text(headers.get("user-agent")) or None,
            language=preferred_language(_text(headers.get("accept-language"))),
            query=query,
            visitor_id=visitor_id(_cookie(cookies, VISITOR_COOKIE)),
            raw_query=raw_query,
        )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def is_function_url_event(event: Mapping[str, object]) -> bool:
    return event.get("version") == FUNCTION_URL_PAYLOAD


def redirect_request(event: Mapping[str, object], lambda_request_id: str) -> RedirectRequest:
    """The request ``event`` carries (either format); ``lambda_request_id`` stands in for a
    missing request id."""
    headers = event_object(event, "headers")
    context = event_object(event, "requestContext")
    if is_function_url_event(event):
        method = str(event_object(context, "http").get("method") or "GET")
        key = _key_of_path(event_text(event, "rawPath"))
        qr = dict(parse_qsl(event_text(event, "rawQueryString"), keep_blank_values=True)).get("qr", "")
        # X-Amz-Cf-Id only here: the Function URL is reachable through CloudFront alone, which sets
        # the header on every request. A REST event's X-Amz-Cf-Id may be the client's own (API
        # Gateway passes a client's headers on): a client sending one id twice would get two
        # redirects and one count, so a REST visit is named by API Gateway's requestId only.
        visit_id = header(headers, CLOUDFRONT_REQUEST_ID)
    else:
        method = event_text(event, "httpMethod") or "GET"
        key = str(event_object(event, "pathParameters").get("key") or "")
        qr = event_text(event_object(event, "queryStringParameters"), "qr")
        visit_id = None
    request_id = str(visit_id or context.get("requestId") or lambda_request_id)
    visit = None
    if method != "HEAD":
        visit = Visit(
            request_id=request_id,
            user_agent=header(headers, "User-Agent"),
            referer=header(headers, "Referer"),
            country=header(headers, VIEWER_COUNTRY),
            qr=qr == "1",
        )
    return RedirectRequest(key, headers, request_id, visit, event)


def _texts(value: object) -> tuple[str, ...]:
    return tuple(item for item in value if isinstance(item, str)) if isinstance(value, list) else ()


def _cookie(cookies: tuple[str, ...], name: str) -> str | None:
    for cookie in cookies:
        found, _, value = cookie.partition("=")
        if found.strip() == name:
            return value.strip().strip('"')
    return None


def _key_of_path(raw_path: str) -> str:
    """``/{key}``'s key, percent-decoded as API Gateway decodes a path parameter; "" unless the
    path is exactly one non-empty segment (``/a/b``, ``/`` and ``/a/`` name no link)."""
    segment = raw_path[1:] if raw_path.startswith("/") else ""
    if not segment or "/" in segment:
        return ""
    return unquote(segment)
