"""GET /links/{key}/qr: a QR code of one of the owner's links, as SVG or PNG."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from snip.domain import qr_codes
from snip.domain.errors import DependencyUnavailable, InvalidInput, LinkNotFound
from snip.execution import environment
from snip.http import openapi
from snip.http.api_addresses import base_url
from snip.http.responses import QR_CACHE
from snip.http.rest_router import RestRouter
from snip.http.scope_middleware import owner

router = RestRouter()


@router.get(
    "/links/<key>/qr",
    summary="A QR code of one of your links (of its short URL with ?qr=1)",
    responses={
        200: {
            "description": "The QR code",
            "content": {media: {"schema": {"type": "string"}} for media in qr_codes.MEDIA_TYPES.values()},
        },
        **openapi.errors(InvalidInput, LinkNotFound, DependencyUnavailable),
    },
)
def link_qr(
    key: str,
    format: Annotated[Literal["svg", "png"], Query()] = "svg",
    size: Annotated[
        int,
        Query(
            ge=qr_codes.MIN_SIZE,
            le=qr_codes.MAX_SIZE,
            description="Pixels: the PNG is exactly size x size, quiet zone included; the SVG declares it",
        ),
    ] = qr_codes.DEFAULT_SIZE,
) -> Response[bytes | str]:
    link = environment.links().get(owner(router), key, base_url(router.current_event.raw_event))
    image = qr_codes.render(link["short_url"], format, size)
    return Response(
        status_code=200, content_type=image.media_type, body=image.body, headers={"Cache-Control": QR_CACHE}
    )
