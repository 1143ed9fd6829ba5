"""POST /links/bulk: one action on up to 100 of the owner's links, each key answered on its own.

The operation (``snip.operations.bulk_changes``) says per key what became of it: the changed link,
deleted, or a domain error; this route gives each its status (``snip.http.error_status``) and
body. With an ``Idempotency-Key`` the whole answer is given once, as POST /links/batch's.
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
from snip.http.api_models import BulkChange, BulkResults, ErrorDetail, Link, in_field_order
from snip.http.body_middleware import BODY_ERRORS
from snip.http.error_status import item_failure
from snip.http.responses import JSON
from snip.http.rest_router import RestRouter
from snip.links_api.idempotency_header import Creator, first_answer

router = RestRouter()


class _Answers(TypedDict):
    results: list[dict[str, object]]


@router.post(
    "/links/bulk",
    summary="Delete, disable, enable or tag up to 100 of your links, each on its own",
    responses={
        **openapi.ok(200, BulkResults, "One result per key, in request order"),
        **openapi.errors(*BODY_ERRORS, RequestInProgress, IdempotencyMismatch, DependencyUnavailable),
    },
)
def change_links(change: Annotated[BulkChange, Body()]) -> Response[str]:
    def act(creator: Creator) -> _Answers:
        results = environment.links().bulk(creator.owner, change.as_request(), creator.base_url)
        return {"results": [_answer(result) for result in results]}

    results = first_answer(router, act)["results"]
    body = {"results": [_in_field_order(result) for result in results]}
    return Response(status_code=200, content_type=JSON, body=json.dumps(body))


def _answer(result: Mapping[str, object]) -> dict[str, object]:
    """One key's answer: 200 and the link, 204 (deleted), or its error's status and body."""
    if "link" in result:
        return {"key": result["key"], "status": 200, "link": result["link"]}
    if "error" not in result:
        return {"key": result["key"], "status": 204}
    return {"key": result["key"], **item_failure(result["error"])}


def _in_field_order(answer: Mapping[str, object]) -> dict[str, object]:
    """A key's answer (a replay's too: a JSON object) with its link or error in model order."""
    ordered: dict[str, object] = {"key": answer["key"], "status": answer["status"]}
    for name, model in (("link", Link), ("error", ErrorDetail)):
        value = answer.get(name)
        if isinstance(value, Mapping):
            ordered[name] = in_field_order(model, value)
    return ordered
