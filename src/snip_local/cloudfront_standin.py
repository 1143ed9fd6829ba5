"""The CloudFront stand-in: the local stack's front door (CONTRACT, "The front door").

Deployed (infra/distribution.py), one distribution is Snip's public host: the path patterns of
``snip_deploy.routes.edge_path_patterns()`` (``/links``, ``/links/*``, ``/health``, ...) go to the
REST API, and everything else, ``GET``/``HEAD /{key}``, to resolve's Function URL. Locally the
gateway plays it with this module: the same patterns decide, a redirect reaches resolve as the
Function URL event (payload format 2.0) CloudFront's request makes, and its answer comes back
with CloudFront's headers. ``SNIP_FRONT_DOOR=off`` plays the API-Gateway-only shape instead:
redirects on the REST API, as REST events (``snip_local.proxy_events``).

What resolve gets of the viewer's request is what the origin request policy forwards and nothing
else: ``CloudFront-Viewer-Country`` (a viewer's own is passed through here, so tests can play a
country; CloudFront sets it from the viewer's address), ``User-Agent``, ``Referer``,
``Accept-Language``, ``Accept``, the whole query string and the one cookie ``snip_vid``. Never the
viewer's ``Host`` (the event names the Function URL's host) nor its ``X-Amz-Cf-Id``: CloudFront
sets a fresh one per viewer request, which resolve names the visit by.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from fnmatch import fnmatchcase
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

from snip_deploy.routes import edge_path_patterns
from snip_local.local_config import ACCOUNT_ID, REGION

# The origin request policy of the redirect behaviour (infra/distribution.py: REDIRECT_HEADERS,
# REDIRECT_COOKIES); tests/infra/test_resolve_asset_events.py checks the two agree.
FORWARDED_HEADERS = ("CloudFront-Viewer-Country", "User-Agent", "Referer", "Accept-Language", "Accept")
FORWARDED_COOKIES = ("snip_vid",)
# The redirect behaviour's allowed methods: CloudFront refuses any other itself.
REDIRECT_METHODS = ("GET", "HEAD")
# A Function URL's host: <url-id>.lambda-url.<region>.on.aws (the id is 32 characters).
FUNCTION_URL_ID = "sniplocalresolve0000000000000000"
FUNCTION_URL_HOST = f"{FUNCTION_URL_ID}.lambda-url.{REGION}.on.aws"
# The edge's name in Via and X-Amz-Cf-Pop (a real one names a location, e.g. FRA56-P4).
EDGE = "LOCAL-P1"
VIA = "1.1 0123456789abcdef0123456789abcdef.cloudfront.net (CloudFront)"
# CloudFront's own answer to a method the behaviour does not allow (an HTML page, as CloudFront's).
METHOD_NOT_ALLOWED = (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">\n'
    '<HTML><HEAD><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1">\n'
    "<TITLE>ERROR: The request could not be satisfied</TITLE>\n</HEAD><BODY>\n"
    '<H1>403 ERROR</H1>\n<H2>The request could not be satisfied.</H2>\n<HR noshade size="1px">\n'
    "This distribution is not configured to allow the HTTP request method that was used for this "
    'request. The distribution supports only cachable requests.\n<BR clear="all">\n</BODY></HTML>'
)


class LocalDistribution:
    """Which origin a request goes to, and the Function URL event a redirect makes."""

    def __init__(self, local_only_prefixes: Iterable[str] = ()) -> None:
        self.api_patterns = edge_path_patterns()
        # Paths the local stack alone serves on the REST side (test-only functions, docs/local.md).
        self.local_only_prefixes = tuple(local_only_prefixes)

    def goes_to_the_api(self, path: str) -> bool:
        """Whether one of the API's path patterns takes ``path`` (CloudFront's matching: case
        sensitive, ``*`` any characters, ``/`` included); else the default behaviour, resolve."""
        if path.startswith(self.local_only_prefixes):
            return True
        return any(fnmatchcase(path, pattern) for pattern in self.api_patterns)


def cloudfront_id() -> str:
    """A fresh X-Amz-Cf-Id: 56 URL-safe base64 characters, as CloudFront's ids are."""
    return secrets.token_urlsafe(42)


def function_url_event(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: list[tuple[str, str]],
    source_ip: str,
    cf_id: str,
    request_id: str,
) -> dict[str, Any]:
    """The event resolve's Function URL builds (payload format 2.0) for CloudFront's request.

    Header names lower-cased, repeats joined by commas (as a Function URL joins them); cookies in
    ``cookies``, never a header; ``queryStringParameters`` only when there is a query.
    """
    forwarded = {name.lower() for name in FORWARDED_HEADERS}
    joined: dict[str, str] = {}
    for name, value in headers:
        lowered = name.lower()
        if lowered in forwarded:
            joined[lowered] = f"{joined[lowered]},{value}" if lowered in joined else value
    now = time.time()
    joined |= {
        "host": FUNCTION_URL_HOST,
        "x-amz-cf-id": cf_id,
        "via": VIA,
        "x-forwarded-for": source_ip,
        "x-forwarded-proto": "https",
        "x-forwarded-port": "443",
        "x-amzn-trace-id": f"Root=1-{int(now):08x}-{request_id.replace('-', '')[:24]}",
    }
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": joined,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": FUNCTION_URL_ID,
            "domainName": FUNCTION_URL_HOST,
            "domainPrefix": FUNCTION_URL_ID,
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    cookies = forwarded_cookies(value for name, value in headers if name.lower() == "cookie")
    if cookies:
        event["cookies"] = cookies
    return event


def forwarded_cookies(cookie_headers: Iterable[str]) -> list[str]:
    """The cookies of the allowlist, as ``name=value``; an unreadable Cookie header forwards none."""
    found: list[str] = []
    for header in cookie_headers:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        found.extend(f"{name}={jar[name].coded_value}" for name in FORWARDED_COOKIES if name in jar)
    return found


def viewer_headers(cf_id: str) -> list[tuple[str, str]]:
    """What CloudFront adds to every answer it passes on (caching is off: always a miss)."""
    return [
        ("X-Cache", "Miss from cloudfront"),
        ("Via", VIA),
        ("X-Amz-Cf-Pop", EDGE),
        ("X-Amz-Cf-Id", cf_id),
    ]
