"""Which function serves which HTTP route, and which routes need an API key.

One source for the CDK API (resources, methods, integrations, auth) and the local gateway.
The behaviour and the OpenAPI document come from the handlers' own Event Handler routes;
a test checks that both name the same routes.
"""

from __future__ import annotations

from dataclasses import dataclass

from snip_deploy.function_specs import RESOLVE, SHORTEN, FunctionSpec


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # API Gateway resource path, path parameters in braces
    function: FunctionSpec
    api_key_required: bool


ROUTES = (
    Route("POST", "/links", SHORTEN, True),
    Route("GET", "/links/{key}", SHORTEN, True),
    Route("GET", "/links/{key}/stats", SHORTEN, True),
    Route("PATCH", "/links/{key}", SHORTEN, True),
    Route("DELETE", "/links/{key}", SHORTEN, True),
    Route("GET", "/health", SHORTEN, False),
    Route("GET", "/openapi.json", SHORTEN, False),
    Route("GET", "/{key}", RESOLVE, False),
    Route("HEAD", "/{key}", RESOLVE, False),
)
