"""POST and GET /links, GET, PATCH and DELETE /links/{key}: an owner's links, one at a time.

POST /links is declared and documented here, and answers here when it comes through the resolver;
shorten itself serves it through ``snip.links_api.lean_create`` (no Event Handler on its cold
start), which gives the same answer (tests/service/test_lean_create.py).
"""

from __future__ import annotations

import json
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from snip.domain.errors import (
    AliasTaken,
    DependencyUnavailable,
    IdempotencyMismatch,
    InvalidInput,
    LinkNotFound,
    RequestInProgress,
)
from snip.domain.link_request import TAG_PATTERN
from snip.domain.link_search import MAX_QUERY_LENGTH, ListOrder
from snip.domain.validation import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_TAG_LENGTH
from snip.execution import environment
from snip.http import openapi
from snip.http.api_addresses import base_url, own_hosts
from snip.http.api_models import Link, LinkCreate, LinkCreated, LinkPage, LinkPatch, in_field_order
from snip.http.body_middleware import BODY_ERRORS
from snip.http.responses import EMPTY_BODY, JSON
from snip.http.rest_router import RestRouter
from snip.http.scope_middleware import owner
from snip.links_api.idempotency_header import Creator, first_answer
from snip.links_api.shorten_telemetry import count_created

router = RestRouter()


@router.post(
    "/links",
    summary="Shorten a URL",
    responses={
        **openapi.ok(201, LinkCreated, "The new link"),
        **openapi.errors(
            *BODY_ERRORS, AliasTaken, RequestInProgress, IdempotencyMismatch, DependencyUnavailable
        ),
    },
)
def create_link(link: Annotated[LinkCreate, Body()]) -> Response[str]:
    def create(creator: Creator) -> dict[str, object]:
        request = link.as_request()
        created, claim = environment.links().create(
            creator.owner, request, creator.base_url, creator.own_hosts, creator.record
        )
        count_created(1, claim)
        return created

    created = in_field_order(LinkCreated, first_answer(router, create))
    return Response(
        status_code=201,
        content_type=JSON,
        body=json.dumps(created),
        headers={"Location": f"/links/{created['key']}"},
    )


@router.get(
    "/links",
    summary="List and search your links, newest or oldest first",
    responses={
        **openapi.ok(200, LinkPage, "A page of your links"),
        **openapi.errors(InvalidInput, DependencyUnavailable),
    },
)
def list_links(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    tag: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_TAG_LENGTH,
            pattern=TAG_PATTERN,
            description="Only links with this tag (compared in lower case)",
        ),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=MAX_QUERY_LENGTH,
            description="Only links whose key, url without its scheme, title or a tag contains this, "
            "compared after Unicode case folding; a pasted short URL finds its link. A search "
            "page may come back with fewer links than `limit` and a `next_cursor`: it reads at "
            "most a bounded part of your links per page",
        ),
    ] = None,
    order: Annotated[ListOrder, Query(description="newest (default) or oldest first")] = "newest",
) -> dict[str, object]:
    event = router.current_event.raw_event
    return environment.links().page(owner(router), base_url(event), limit, cursor, tag, q, order)


@router.get(
    "/links/<key>",
    summary="Read one of your links",
    responses={
        **openapi.ok(200, Link, "The link"),
        **openapi.errors(LinkNotFound, DependencyUnavailable),
    },
)
def get_link(key: str) -> dict[str, object]:
    return environment.links().get(owner(router), key, base_url(router.current_event.raw_event))


@router.patch(
    "/links/<key>",
    summary="Change one of your links",
    responses={
        **openapi.ok(200, Link, "The updated link"),
        **openapi.errors(*BODY_ERRORS, LinkNotFound, DependencyUnavailable),
    },
)
def update_link(key: str, patch: Annotated[LinkPatch, Body()]) -> dict[str, object]:
    event = router.current_event.raw_event
    given = {name: getattr(patch, name) for name in patch.model_fields_set}
    return environment.links().update(owner(router), key, given, base_url(event), own_hosts(event))


@router.delete(
    "/links/<key>",
    summary="Delete one of your links (its key is never reissued)",
    responses={204: {"description": "Deleted"}, **openapi.errors(LinkNotFound, DependencyUnavailable)},
)
def delete_link(key: str) -> Response[str]:
    environment.links().delete(owner(router), key)
    return Response(status_code=204, body="", content_type=EMPTY_BODY)
