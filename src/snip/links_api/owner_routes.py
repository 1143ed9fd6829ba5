"""GET /links/export and GET /links/summary: an owner's links all at once, as a file or as figures.

Both are literal paths under /links: the resolver tries them before /links/<key>, API Gateway's
literal resources beat {key} (``snip_deploy.routes``), so an older link keyed ``export`` or
``summary`` keeps redirecting while these routes shadow its API routes.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from snip.domain.errors import DependencyUnavailable, InvalidInput
from snip.execution import environment
from snip.http import openapi
from snip.http.api_addresses import base_url
from snip.http.api_models import Summary
from snip.http.rest_router import RestRouter
from snip.http.scope_middleware import owner
from snip.operations.owner_export import FORMATS, MAX_EXPORT_BYTES, MAX_EXPORT_LINKS, MEDIA_TYPES

router = RestRouter()

_EXPORT = (
    f"Your live links, newest first, at most {MAX_EXPORT_LINKS:,} and {MAX_EXPORT_BYTES // 2**20} MB (as "
    "Lambda carries the body) per answer. CSV per RFC 4180 (CRLF, quoted where needed) with a header "
    "record, tags space-separated, rules and split as JSON; or JSON Lines of the links as GET /links/{key} "
    "shows them"
)


@router.get(
    "/links/export",
    summary="Export your links as CSV or JSON Lines",
    description=_EXPORT,
    responses={
        200: {
            "description": "One answer of the export",
            "content": {media: {"schema": {"type": "string"}} for media in MEDIA_TYPES.values()},
            "headers": {
                "Link": {
                    "description": 'While more remain: <the next answer\'s URL>; rel="next"',
                    "schema": {"type": "string"},
                }
            },
        },
        **openapi.errors(InvalidInput, DependencyUnavailable),
    },
)
def export_links(
    format: Annotated[
        str,
        # Documented here, checked by the operation (400 invalid_format, not the QR's code).
        Query(description="csv (default) or jsonl", json_schema_extra={"enum": list(FORMATS)}),
    ] = "csv",
    cursor: Annotated[str | None, Query(description="From the previous answer's Link header")] = None,
) -> Response[str]:
    base = base_url(router.current_event.raw_event)
    body, next_cursor = environment.links().export(owner(router), base, format, cursor)
    headers = {"Content-Disposition": f'attachment; filename="snip-links.{format}"'}
    if next_cursor is not None:
        query = urlencode({"format": format, "cursor": next_cursor})
        headers["Link"] = f'<{base}/links/export?{query}>; rel="next"'
    return Response(status_code=200, content_type=MEDIA_TYPES[format], body=body, headers=headers)


@router.get(
    "/links/summary",
    summary="Your links' figures: how many, their visits, the top 10",
    responses={
        **openapi.ok(200, Summary, "Over your links not deleted"),
        **openapi.errors(DependencyUnavailable),
    },
)
def links_summary() -> dict[str, object]:
    return environment.links().summary(owner(router))
