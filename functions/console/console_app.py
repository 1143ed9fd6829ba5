"""console: GET / and GET /_/{file}, the web console's static files (CONTRACT section 2, "GET /").

The page is static HTML, CSS and JavaScript that talks to the API from the browser; this function
only hands out the files. It needs nothing of the runtime package (no DynamoDB, no Event Handler),
so its folder carries no ``snip`` symlink and its asset stays a few dozen kilobytes.

Fingerprinting without a build step: on the first request (never at import) the function hashes
each file under ``static/`` and names it ``<stem>.<hash>.<ext>``; ``index.html`` is rewritten to
reference those names. The hashes therefore always match the content that is served, and an asset
URL never changes meaning, so assets are cached for a year (``immutable``) and only ``index.html``
is revalidated (``no-cache``). A stale name (an old deployment's) answers 404.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATIC = Path(__file__).resolve().parent / "static"
INDEX = "index.html"
ASSET_PREFIX = "/_/"
HASH_LENGTH = 10
# The page learns where the API lives from this tag (no inline script): "" locally and behind a
# custom domain, "/prod" on the execute-api URL, where every path carries the stage.
BASE_TAG = '<meta name="snip-base" content="">'
SAFE_PREFIX = re.compile(r"(?:/[A-Za-z0-9._~-]+)*")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}

# No inline script or style, nothing from another origin, the API only on this origin; QR codes
# are shown from blob: URLs (fetched with the key), charts are inline SVG built through the DOM.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# The front door's error pages (infra/front_door.py): CloudFront fetches them by a fixed name
# when an origin fails and answers the visitor 503 with them. Kept a day at the edge (so the page
# is there when it is needed), never by a browser (it answers for some other path's URL).
EDGE_PAGES = frozenset({"edge-503.html"})
EDGE_PAGE_CACHE = "public, max-age=0, s-maxage=86400"


@dataclass(frozen=True)
class Site:
    index: str  # index.html with fingerprinted asset references
    assets: dict[str, tuple[str, str]]  # fingerprinted name -> (content type, text)


def fingerprinted(name: str, text: str) -> str:
    """``app.js`` -> ``app.3f2a1c9e0b.js``: the name changes exactly when the content does."""
    digest = hashlib.sha256(text.encode()).hexdigest()[:HASH_LENGTH]
    stem, dot, ext = name.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot else f"{name}.{digest}"


@functools.cache
def site() -> Site:
    """Reads and fingerprints the static files once per execution environment."""
    index = (STATIC / INDEX).read_text(encoding="utf-8")
    assets: dict[str, tuple[str, str]] = {}
    for path in sorted(STATIC.iterdir()):
        if path.name == INDEX or path.name in EDGE_PAGES or path.suffix not in CONTENT_TYPES:
            continue
        text = path.read_text(encoding="utf-8")
        name = fingerprinted(path.name, text)
        assets[name] = (CONTENT_TYPES[path.suffix], text)
        index = index.replace(f'"{ASSET_PREFIX}{path.name}"', f'"{ASSET_PREFIX}{name}"')
    return Site(index, assets)


def _response(status: int, content_type: str, body: str, cache_control: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_type, "Cache-Control": cache_control, **SECURITY_HEADERS},
        "body": body,
        "isBase64Encoded": False,
    }


def _not_found() -> dict[str, Any]:
    body = json.dumps({"error": {"code": "not_found", "message": "There is no such file in the console."}})
    return _response(404, "application/json", body, REVALIDATE)


def path_prefix(event: dict[str, Any]) -> str:
    """What precedes the resource path in the browser's URL: the stage on the execute-api URL.

    API Gateway's ``requestContext.path`` is the path as requested (``/prod/``), ``path`` the path
    within the API (``/``); the page must prefix its asset and API URLs with the difference.
    Through the front door (CloudFront sends ``X-Amz-Cf-Id`` to its origins) the browser's URL has
    no stage: the distribution adds it on the way (its origin path).
    """
    headers = {str(name).lower() for name in (event.get("headers") or {})}
    if "x-amz-cf-id" in headers:
        return ""
    requested = str((event.get("requestContext") or {}).get("path") or "")
    own = str(event.get("path") or "/")
    prefix = requested[: -len(own)] if own and requested.endswith(own) else ""
    prefix = prefix.rstrip("/")
    return prefix if SAFE_PREFIX.fullmatch(prefix) else ""


def index_page(prefix: str) -> str:
    page = site().index
    if not prefix:
        return page
    page = page.replace(f'"{ASSET_PREFIX}', f'"{prefix}{ASSET_PREFIX}')
    return page.replace(BASE_TAG, BASE_TAG.replace('content=""', f'content="{html.escape(prefix)}"'))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("resource") == "/":
        return _response(200, CONTENT_TYPES[".html"], index_page(path_prefix(event)), REVALIDATE)
    name = (event.get("pathParameters") or {}).get("file") or ""
    if name in EDGE_PAGES:
        return _response(
            200, CONTENT_TYPES[".html"], (STATIC / name).read_text(encoding="utf-8"), EDGE_PAGE_CACHE
        )
    found = site().assets.get(name)
    if found is None:
        return _not_found()
    content_type, text = found
    return _response(200, content_type, text, IMMUTABLE)
