"""POST /links/batch: up to 100 creates in one request, each item answered on its own.

The operation (``snip.operations.batch_create``) says per item what became of it, a new link or
a domain error; this route gives each its status (``snip.http.error_status``) and body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, TypedDict

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from snip.domain.errors import DependencyUnavailable, IdempotencyMismatch, RequestInProgress
from snip.execution import environment
from snip.http import openapi
from snip.http.api_models import BatchCreate, BatchResults, ErrorDetail, LinkCreated, in_field_order
from snip.http.body_middleware import BODY_ERRORS
from snip.http.error_status import item_failure
from snip.http.responses import JSON
from snip.http.rest_router import RestRouter
from snip.links_api.idempotency_header import Creator, first_answer
from snip.links_api.shorten_telemetry import count_created

router = RestRouter()


class _Answers(TypedDict):
    results: list[dict[str, object]]


@router.post(
    "/links/batch",
    summary="Shorten up to 100 URLs, each on its own",
    responses={
        **openapi.ok(200, BatchResults, "One result per item, in request order"),
        **openapi.errors(*BODY_ERRORS, RequestInProgress, IdempotencyMismatch, DependencyUnavailable),
    },
)
def create_links(batch: Annotated[BatchCreate, Body()]) -> Response[str]:
    def create(creator: Creator) -> _Answers:
        results = environment.links().create_batch(
            creator.owner, batch.links, creator.base_url, creator.own_hosts, creator.record
        )
        count_created(sum(1 for result in results if "link" in result))
        return {"results": [_answer(result) for result in results]}

    results = first_answer(router, create)["results"]
    body = {"results": [_in_field_order(result) for result in results]}
    return Response(status_code=200, content_type=JSON, body=json.dumps(body))


def _answer(result: Mapping[str, object]) -> dict[str, object]:
    """One item's answer, as POST /links would have given it: 201 and the link, or its error."""
    if "link" in result:
        return {"status": 201, "link": result["link"]}
    return item_failure(result["error"])


def _in_field_order(answer: Mapping[str, object]) -> dict[str, object]:
    """An item's answer (a replay's too: a JSON object) with its link or error in model order."""
    if "link" in answer:
        return {"status": answer["status"], "link": in_field_order(LinkCreated, _object(answer["link"]))}
    return {"status": answer["status"], "error": in_field_order(ErrorDetail, _object(answer["error"]))}


def _object(value: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise TypeError(f"A batch answer holds JSON objects, not {value!r}.")
    return value
