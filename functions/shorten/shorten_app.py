"""shorten: the links API (POST/GET /links, POST /links/batch, GET/PATCH/DELETE /links/{key},
GET /links/{key}/qr), /health and /openapi.json.

Routes parse and validate with the Event Handler and pydantic (after the body checks of
``snip.http.body_middleware``), call the domain, and map domain errors to HTTP in one place (the
exception handlers below).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.metrics import MetricUnit

from snip.data.rollups_table import rollups_table
from snip.domain import clock, qr_codes, stats
from snip.domain.errors import (
    AliasTaken,
    BodyTooLarge,
    DependencyUnavailable,
    IdempotencyMismatch,
    InvalidInput,
    LinkNotFound,
    RequestInProgress,
    SnipError,
    UnsupportedMediaType,
)
from snip.domain.validation import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, server_address
from snip.execution import environment, metric_names
from snip.execution.powertools_wiring import instrument
from snip.http import body_middleware, scope_middleware
from snip.http import openapi as openapi_parts
from snip.http.api_models import (
    BatchCreate,
    BatchResults,
    Health,
    Link,
    LinkCreate,
    LinkCreated,
    LinkPage,
    LinkPatch,
    as_invalid_input,
)
from snip.http.responses import EMPTY_BODY, JSON, QR_CACHE, error_body, error_response, header
from snip.http.stats_schema import LinkStats
from snip.operations import idempotent_creates
from snip.settings import get_settings

logger = Logger(service="shorten")
metrics = Metrics(namespace=metric_names.NAMESPACE, service="shorten")
app = APIGatewayRestResolver()  # validation comes with body_checks.middlewares(), in its place
# The API key's owner and scope first (403 before any body is read), then the body checks.
app.use(middlewares=[scope_middleware.check_scope, *body_middleware.middlewares()])


# -- request context ---------------------------------------------------------------------
def _owner() -> str:
    """The owner of the calling API key (not the key: an owner may hold several keys)."""
    return scope_middleware.principal(app).owner


def _base_url() -> str:
    configured = get_settings().public_base_url
    if configured:
        return configured
    context = app.current_event.request_context
    return f"https://{context.domain_name}/{context.stage}"


def _own_hosts() -> set[str]:
    """Every address this API answers on, as ``server_address`` spells it: a link to one loops.

    The public base URL, the host the request came to, and the API's own execute-api host,
    which still answers (with or without a stage in the path) when a custom domain is in front.
    """
    event = app.current_event
    context = event.request_context
    scheme = header(event.headers, "X-Forwarded-Proto") or "https"
    hosts = {server_address(_base_url())}
    for host in (context.domain_name, header(event.headers, "Host")):
        with contextlib.suppress(ValueError):  # not a host a URL could name: no link points at it
            hosts.add(server_address(f"{scheme}://{host}/") if host else "")
    region = get_settings().region  # AWS_REGION, set by Lambda in every function
    if context.api_id and region:
        hosts.add(server_address(f"https://{context.api_id}.execute-api.{region}.amazonaws.com/"))
    return hosts - {""}


def _created(link: dict[str, Any]) -> Response[Any]:
    # Field order from the model, so that a replayed response reads exactly like the first one.
    body = {name: link[name] for name in LinkCreated.model_fields}
    return Response(
        status_code=201,
        content_type=JSON,
        body=json.dumps(body),
        headers={"Location": f"/links/{link['key']}"},
    )


def _batch_results(body: dict[str, Any]) -> Response[Any]:
    # Field order fixed here too: a replay (stored with sorted keys) reads like the first answer.
    results = [
        {"status": r["status"], "link": {name: r["link"][name] for name in LinkCreated.model_fields}}
        if "link" in r
        else {"status": r["status"], "error": {"code": r["error"]["code"], "message": r["error"]["message"]}}
        for r in body["results"]
    ]
    return Response(status_code=200, content_type=JSON, body=json.dumps({"results": results}))


# -- routes ------------------------------------------------------------------------------
_BODY_ERRORS = (InvalidInput, BodyTooLarge, UnsupportedMediaType)


@app.post(
    "/links",
    summary="Shorten a URL",
    responses={
        **openapi_parts.ok(201, LinkCreated, "The new link"),
        **openapi_parts.errors(
            *_BODY_ERRORS, AliasTaken, RequestInProgress, IdempotencyMismatch, DependencyUnavailable
        ),
    },
)
def create_link(link: Annotated[LinkCreate, Body()]) -> Response[Any]:
    owner, base_url, hosts = _owner(), _base_url(), _own_hosts()

    def create() -> dict[str, Any]:
        created, claim = environment.links().create(owner, link, base_url, hosts)
        metrics.add_metric(name=metric_names.LINKS_CREATED, unit=MetricUnit.Count, value=1)
        if claim is not None:
            metrics.add_metric(
                name=metric_names.KEY_CLAIM_CONFLICTS, unit=MetricUnit.Count, value=claim.conflicts
            )
            if claim.fallback:
                metrics.add_metric(name=metric_names.POOL_EMPTY_FALLBACKS, unit=MetricUnit.Count, value=1)
        return created

    return _created(_once(owner, create))


def _once(owner: str, action: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``action()``, or with an Idempotency-Key the first answer to this owner's key."""
    idempotency_key = header(app.current_event.headers, "Idempotency-Key")
    if idempotency_key is None:
        return action()
    key = idempotent_creates.check_idempotency_key(idempotency_key)
    return idempotent_creates.once(owner, key, app.current_event.json_body, action)


@app.post(
    "/links/batch",
    summary="Shorten up to 100 URLs, each on its own",
    responses={
        **openapi_parts.ok(200, BatchResults, "One result per item, in request order"),
        **openapi_parts.errors(*_BODY_ERRORS, RequestInProgress, IdempotencyMismatch, DependencyUnavailable),
    },
)
def create_links(batch: Annotated[BatchCreate, Body()]) -> Response[Any]:
    owner, base_url, hosts = _owner(), _base_url(), _own_hosts()

    def create() -> dict[str, Any]:
        results = environment.links().create_batch(owner, batch.links, base_url, hosts)
        created = sum(1 for result in results if result["status"] == 201)
        metrics.add_metric(name=metric_names.LINKS_CREATED, unit=MetricUnit.Count, value=created)
        return {"results": results}

    return _batch_results(_once(owner, create))


@app.get(
    "/links",
    summary="List your links, newest first",
    responses={
        **openapi_parts.ok(200, LinkPage, "A page of your links"),
        **openapi_parts.errors(InvalidInput, DependencyUnavailable),
    },
)
def list_links(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    tag: Annotated[str | None, Query(description="Only links with this tag")] = None,
) -> dict[str, Any]:
    return environment.links().page(_owner(), _base_url(), limit, cursor, tag)


@app.get(
    "/links/<key>",
    summary="Read one of your links",
    responses={
        **openapi_parts.ok(200, Link, "The link"),
        **openapi_parts.errors(LinkNotFound, DependencyUnavailable),
    },
)
def get_link(key: str) -> dict[str, Any]:
    return environment.links().get(_owner(), key, _base_url())


@app.get(
    "/links/<key>/stats",
    summary="Visit analytics of one of your links",
    responses={
        **openapi_parts.ok(200, LinkStats, "Visits per hour or day over the range, and their breakdowns"),
        **openapi_parts.errors(InvalidInput, LinkNotFound, DependencyUnavailable),
    },
)
def link_stats(key: str) -> dict[str, Any]:
    params = app.current_event.query_string_parameters or {}
    now = clock.utcnow()
    query = stats.parse_query(params, now)
    as_of = now - timedelta(seconds=get_settings().stats_lag)
    return stats.link_stats(environment.links_table(), rollups_table(), _owner(), key, query, as_of)


@app.patch(
    "/links/<key>",
    summary="Change one of your links",
    responses={
        **openapi_parts.ok(200, Link, "The updated link"),
        **openapi_parts.errors(*_BODY_ERRORS, LinkNotFound, DependencyUnavailable),
    },
)
def update_link(key: str, patch: Annotated[LinkPatch, Body()]) -> dict[str, Any]:
    return environment.links().update(_owner(), key, patch, _base_url(), _own_hosts())


@app.delete(
    "/links/<key>",
    summary="Delete one of your links (its key is never reissued)",
    responses={204: {"description": "Deleted"}, **openapi_parts.errors(LinkNotFound, DependencyUnavailable)},
)
def delete_link(key: str) -> Response[Any]:
    environment.links().delete(_owner(), key)
    return Response(status_code=204, body="", content_type=EMPTY_BODY)


@app.get(
    "/links/<key>/qr",
    summary="A QR code of one of your links (of its short URL with ?qr=1)",
    responses={
        200: {
            "description": "The QR code",
            "content": {media: {"schema": {"type": "string"}} for media in qr_codes.MEDIA_TYPES.values()},
        },
        **openapi_parts.errors(InvalidInput, LinkNotFound, DependencyUnavailable),
    },
)
def link_qr(
    key: str,
    format: Annotated[Literal["svg", "png"], Query()] = "svg",
    size: Annotated[
        int, Query(ge=qr_codes.MIN_SIZE, le=qr_codes.MAX_SIZE, description="PNG only")
    ] = qr_codes.DEFAULT_SIZE,
) -> Response[Any]:
    link = environment.links().get(_owner(), key, _base_url())
    image = qr_codes.render(link["short_url"], format, size)
    return Response(
        status_code=200, content_type=image.media_type, body=image.body, headers={"Cache-Control": QR_CACHE}
    )


@app.get("/health", summary="Liveness", responses=openapi_parts.ok(200, Health, "Alive"))
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/openapi.json", summary="This document", responses={200: {"description": "OpenAPI 3"}})
def openapi() -> Response[Any]:
    return Response(status_code=200, content_type=JSON, body=openapi_document())


def openapi_document() -> str:
    """This function's routes and resolve's GET/HEAD /{key}, in one document."""
    return openapi_parts.document(
        app,
        title="Snip",
        version="1.0.0",
        summary="A serverless URL shortener",
        description="Routes under /links need an API key in x-api-key. Errors are "
        '{"error": {"code", "message"}}; API Gateway\'s own 403/429 keep {"message"}.',
    )


# -- errors, mapped in one place ----------------------------------------------------------
@app.exception_handler(SnipError)
def _domain_error(error: SnipError) -> Response[Any]:
    response = error_response(error)
    if error.status >= 500:
        logger.warning("request failed", extra={"code": error.code, "reason": str(error.__cause__)})
    return Response(status_code=response["statusCode"], body=response["body"], headers=response["headers"])


@app.exception_handler(RequestValidationError)
def _validation_error(error: RequestValidationError) -> Response[Any]:
    return _domain_error(as_invalid_input(error.errors()))


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[Any]:
    logger.exception("unexpected failure")
    return _domain_error(SnipError("Something went wrong on our side."))


@app.not_found
def _no_route(_: Exception) -> Response[Any]:
    return Response(404, JSON, error_body("not_found", "No such route."))


# -- entry point -------------------------------------------------------------------------
def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if context is not None:
        idempotent_creates.config().register_lambda_context(context)
    return app.resolve(event, context)


handler = instrument(_handle, logger, metrics)
environment.warm_pool_at_init()

environment.freeze_imports()  # last: everything imported above stays out of the collector's way
