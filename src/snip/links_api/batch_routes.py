"""POST /links/batch: up to 100 creates in one request, each item answered on its own.

The operation (``snip.operations.batch_create``) says per item what became of it, a new link or
a domain error; this route gives each its status (``snip.http.error_status``) and body.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from snip.domain.errors import DependencyUnavailable, IdempotencyMismatch, RequestInProgress, SnipError
from snip.execution import environment
from snip.http import openapi
from snip.http.api_models import BatchCreate, BatchResults, ErrorDetail, LinkCreated, in_field_order
from snip.http.body_middleware import BODY_ERRORS
from snip.http.error_status import status_of
from snip.http.responses import JSON
from snip.http.rest_router import RestRouter
from snip.links_api.idempotency_header import Creator, first_answer
from snip.links_api.shorten_telemetry import count_created

router = RestRouter()


@router.post(
    "/links/batch",
    summary="Shorten up to 100 URLs, each on its own",
    responses={
        **openapi.ok(200, BatchResults, "One result per item, in request order"),
        **openapi.errors(*BODY_ERRORS, RequestInProgress, IdempotencyMismatch, DependencyUnavailable),
    },
)
def create_links(batch: Annotated[BatchCreate, Body()]) -> Response[Any]:
    def create(creator: Creator) -> dict[str, Any]:
        results = environment.links().create_batch(
            creator.owner, batch.links, creator.base_url, creator.own_hosts
        )
        count_created(sum(1 for result in results if "link" in result))
        return {"results": [_answer(result) for result in results]}

    results = first_answer(router, create)["results"]
    body = {"results": [_in_field_order(result) for result in results]}
    return Response(status_code=200, content_type=JSON, body=json.dumps(body))


def _answer(result: dict[str, Any]) -> dict[str, Any]:
    """One item's answer, as POST /links would have given it: 201 and the link, or its error."""
    if "link" in result:
        return {"status": 201, "link": result["link"]}
    error: SnipError = result["error"]
    return {"status": status_of(error), "error": {"code": error.code, "message": error.message}}


def _in_field_order(answer: dict[str, Any]) -> dict[str, Any]:
    if "link" in answer:
        return {"status": answer["status"], "link": in_field_order(LinkCreated, answer["link"])}
    return {"status": answer["status"], "error": in_field_order(ErrorDetail, answer["error"])}
