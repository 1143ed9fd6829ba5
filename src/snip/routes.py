"""Which function serves which HTTP route, and which routes need an API key.

One source for the CDK API (resources, methods, integrations, auth) and the local gateway.
The behaviour and the OpenAPI document come from the handlers' own Event Handler routes;
a test checks that both name the same routes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Function:
    name: str  # "shorten" | "resolve" | "keygen"
    folder: str  # deployable folder, relative to the repository root
    handler: str  # Lambda handler string: module.function


FUNCTIONS = {
    f.name: f
    for f in (
        Function("shorten", "functions/shorten", "shorten_app.handler"),
        Function("resolve", "functions/resolve", "resolve_app.handler"),
        Function("keygen", "functions/keygen", "keygen_app.handler"),
    )
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway resource path, path parameters in braces
    function: str
    api_key_required: bool


ROUTES = (
    Route("POST", "/links", "shorten", True),
    Route("GET", "/links/{key}", "shorten", True),
    Route("PATCH", "/links/{key}", "shorten", True),
    Route("DELETE", "/links/{key}", "shorten", True),
    Route("GET", "/health", "shorten", False),
    Route("GET", "/openapi.json", "shorten", False),
    Route("GET", "/{key}", "resolve", False),
    Route("HEAD", "/{key}", "resolve", False),
)
