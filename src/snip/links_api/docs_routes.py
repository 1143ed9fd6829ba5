"""GET /health and GET /openapi.json: that shorten is alive, and what the whole API does.

The document is generated from the resolver's routes after every router is included (with
resolve's GET/HEAD /{key} and what API Gateway adds, ``snip.http.openapi``); ``make api-docs``
writes the same text to docs/openapi.json.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from snip.http.api_models import Health
from snip.http.openapi import document, ok
from snip.http.responses import JSON
from snip.http.rest_router import RestRouter

router = RestRouter()


@router.get("/health", summary="Liveness", responses=ok(200, Health, "Alive"))
def health() -> dict[str, str]:
    return {"status": "ok"}


# The body is the document's JSON text (a str); its schema: any JSON value, as it always said.
@router.get(
    "/openapi.json",
    summary="This document",
    responses={200: {"description": "OpenAPI 3", "content": {JSON: {"schema": {"title": "Return"}}}}},
)
def openapi() -> Response[str]:
    resolver = router.api_resolver  # set by include_router
    if not isinstance(resolver, APIGatewayRestResolver):
        raise TypeError("The docs router serves /openapi.json only once included in the resolver.")
    return Response(status_code=200, content_type=JSON, body=openapi_document(resolver))


def openapi_document(resolver: APIGatewayRestResolver) -> str:
    """``resolver``'s routes and resolve's GET/HEAD /{key}, in one document."""
    return document(
        resolver,
        title="Snip",
        version="1.0.0",
        summary="A serverless URL shortener",
        description="Routes under /links need an API key in x-api-key. Errors are "
        '{"error": {"code", "message"}}; API Gateway\'s own 403/429 keep {"message"}.',
    )
