"""Which function serves which HTTP route, which routes need an API key, and with what scope.

One source for the CDK API (resources, methods, integrations, auth) and the local gateway.
The behaviour and the OpenAPI document come from the handlers' own Event Handler routes;
a test checks that both name the same routes. The console's routes serve a page, not API
operations: they are not in the OpenAPI document (``Route.api_operation``).
"""

from __future__ import annotations

from dataclasses import dataclass

from snip.domain import api_scopes
from snip_deploy.function_specs import CONSOLE, RESOLVE, SHORTEN, FunctionSpec


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway resource path, path parameters in braces
    function: FunctionSpec
    api_key_required: bool

    @property
    def scope(self) -> str | None:
        """The API-key scope the route needs; its home is ``snip.domain.api_scopes`` (shorten
        checks it there)."""
        return api_scopes.required_scope(self.method, self.path)

    @property
    def api_operation(self) -> bool:
        """Part of the HTTP API (and so of /openapi.json); the console's page and assets are not."""
        return self.function != CONSOLE


ROUTES = (
    Route("POST", "/links", SHORTEN, True),
    Route("GET", "/links", SHORTEN, True),
    # A literal segment beats {key} in API Gateway (and the local router): POST /links/batch is
    # never POST /links/{key}, and "batch" is no key anyone can hold under /links/.
    Route("POST", "/links/batch", SHORTEN, True),
    # Likewise the owner's routes over all of their links (bulk, export, summary are reserved
    # words: no new link gets such a key; an older one keeps redirecting, its API routes shadowed).
    Route("POST", "/links/bulk", SHORTEN, True),
    Route("GET", "/links/{key}", SHORTEN, True),
    Route("GET", "/links/{key}/stats", SHORTEN, True),
    Route("PATCH", "/links/{key}", SHORTEN, True),
    Route("DELETE", "/links/{key}", SHORTEN, True),
    Route("GET", "/links/{key}/qr", SHORTEN, True),
    Route("GET", "/health", SHORTEN, False),
    Route("GET", "/openapi.json", SHORTEN, False),
    Route("GET", "/{key}", RESOLVE, False),
    Route("HEAD", "/{key}", RESOLVE, False),
    # The web console, public: the page holds no data, the key is pasted into it. No key contains
    # "/" and none is "_" (aliases have 3+ characters), so neither route ever shadows a short link.
    Route("GET", "/", CONSOLE, False),
    Route("GET", "/_/{file}", CONSOLE, False),
)

# Binary media types of the REST API. "*/*": API Gateway turns a proxy answer with
# isBase64Encoded into bytes only when the request's Accept (or Content-Type) matches one of
# these, and a client of GET /links/{key}/qr?format=png may send any Accept (curl sends */*).
# The cost: every request body reaches the functions base64-encoded, which the Event Handler
# and snip.http.body_middleware decode. The local gateway builds its events from the same list.
BINARY_MEDIA_TYPES = ("*/*",)


def edge_path_patterns() -> tuple[str, ...]:
    """The front door's path patterns that go to the REST API (``infra/front_door.py``, the local
    gateway's routing): every route but the redirect, each cut at its first path parameter.

    ``/links/{key}`` becomes ``/links/*`` (a parameter never holds ``/``, and anything deeper is
    the API's to refuse), ``/`` stays ``/``: a pattern without a wildcard matches that path only,
    so ``/`` takes the console's page and nothing else. ``/links`` is not ``/links*``: a key such
    as ``linkshare`` is a redirect like any other.
    """
    patterns: list[str] = []
    for route in ROUTES:
        if route.function == RESOLVE:
            continue
        head, brace, _ = route.path.partition("{")
        pattern = f"{head}*" if brace else route.path
        if pattern not in patterns:
            patterns.append(pattern)
    # A literal path a wildcard already takes (/links/batch under /links/*) needs no pattern.
    wildcards = [pattern[:-1] for pattern in patterns if pattern.endswith("*")]
    return tuple(
        pattern
        for pattern in patterns
        if pattern.endswith("*") or not any(pattern.startswith(prefix) for prefix in wildcards)
    )
