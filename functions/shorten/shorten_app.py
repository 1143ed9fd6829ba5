"""shorten: the links API (POST /links, GET/PATCH/DELETE /links/{key}), /health and /openapi.json.

Routes parse and validate with the Event Handler and pydantic, call the domain, and map
domain errors to HTTP in one place (the exception handlers below).
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.metrics import MetricUnit

from snip import idempotent, runtime
from snip.errors import BodyTooLarge, InvalidInput, SnipError, UnsupportedMediaType
from snip.metric_names import NAMESPACE as METRICS_NAMESPACE
from snip.models import ErrorBody, Health, Link, LinkCreate, LinkCreated, LinkPatch
from snip.observability import instrument
from snip.redirect import follow
from snip.settings import get_settings
from snip.validation import url_host
from snip.web import JSON, error_body, error_response, header

MAX_BODY_BYTES = 16 * 1024

logger = Logger(service="shorten")
metrics = Metrics(namespace=METRICS_NAMESPACE, service="shorten")
app = APIGatewayRestResolver(enable_validation=True)


def _errors(*statuses: int) -> dict[int, Any]:
    return {
        status: {"description": description, "content": {JSON: {"model": ErrorBody}}}
        for status, description in {
            400: "Invalid request (see error.code)",
            404: "No such link (or not yours)",
            409: "Alias taken, or the same Idempotency-Key still in flight",
            413: "Body larger than 16 KiB",
            415: "Body is not application/json",
            422: "Idempotency-Key reused with another body",
            503: "A dependency failed; retry after Retry-After seconds",
        }.items()
        if status in statuses
    }


def _ok(status: int, model: type, description: str) -> dict[int, Any]:
    return {status: {"description": description, "content": {JSON: {"model": model}}}}


# -- request context ---------------------------------------------------------------------
def _owner() -> str:
    identity = app.current_event.request_context.identity
    owner = identity.api_key_id
    if not owner:  # API Gateway requires a key on /links; this is a deployment error
        raise SnipError("The request carried no API key identity.")
    return owner


def _base_url() -> str:
    configured = get_settings().public_base_url
    if configured:
        return configured
    context = app.current_event.request_context
    return f"https://{context.domain_name}/{context.stage}"


def _own_hosts() -> set[str]:
    hosts = {url_host(_base_url())}
    domain = app.current_event.request_context.domain_name
    if domain:
        hosts.add(domain.split(":")[0].lower())
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


# -- routes ------------------------------------------------------------------------------
@app.post(
    "/links",
    summary="Shorten a URL",
    responses={**_ok(201, LinkCreated, "The new link"), **_errors(400, 409, 413, 415, 422, 503)},
)
def create_link(link: Annotated[LinkCreate, Body()]) -> Response[Any]:
    owner, base_url, hosts = _owner(), _base_url(), _own_hosts()

    def create() -> dict[str, Any]:
        created, claim = runtime.links().create(owner, link, base_url, hosts)
        metrics.add_metric(name="LinksCreated", unit=MetricUnit.Count, value=1)
        if claim is not None:
            metrics.add_metric(name="KeyClaimConflicts", unit=MetricUnit.Count, value=claim.conflicts)
            if claim.fallback:
                metrics.add_metric(name="PoolEmptyFallbacks", unit=MetricUnit.Count, value=1)
        return created

    idempotency_key = header(app.current_event.headers, "Idempotency-Key")
    if idempotency_key is None:
        return _created(create())
    key = idempotent.check_idempotency_key(idempotency_key)
    return _created(idempotent.once(owner, key, app.current_event.json_body, create))


@app.get(
    "/links/<key>",
    summary="Read one of your links",
    responses={**_ok(200, Link, "The link"), **_errors(404, 503)},
)
def get_link(key: str) -> dict[str, Any]:
    return runtime.links().get(_owner(), key, _base_url())


@app.patch(
    "/links/<key>",
    summary="Change one of your links",
    responses={**_ok(200, Link, "The updated link"), **_errors(400, 404, 413, 415, 503)},
)
def update_link(key: str, patch: Annotated[LinkPatch, Body()]) -> dict[str, Any]:
    return runtime.links().update(_owner(), key, patch, _base_url(), _own_hosts())


@app.delete(
    "/links/<key>",
    summary="Delete one of your links (its key is never reissued)",
    responses={204: {"description": "Deleted"}, **_errors(404, 503)},
)
def delete_link(key: str) -> Response[Any]:
    runtime.links().delete(_owner(), key)
    return Response(status_code=204, body="")


@app.get("/health", summary="Liveness", responses=_ok(200, Health, "Alive"))
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/openapi.json", summary="This document", responses={200: {"description": "OpenAPI 3"}})
def openapi() -> Response[Any]:
    return Response(status_code=200, content_type=JSON, body=openapi_document())


@app.route(
    "/<key>",
    method=["GET", "HEAD"],
    summary="Follow a short link (served by the resolve function)",
    responses={
        301: {"description": "Permanent redirect to the link's URL"},
        302: {"description": "Temporary redirect to the link's URL (the default)"},
        307: {"description": "Temporary redirect, method kept"},
        308: {"description": "Permanent redirect, method kept"},
        **_errors(404, 503),
        410: {"description": "Deleted, disabled, expired or out of visits",
              "content": {JSON: {"model": ErrorBody}}},
    },
)  # fmt: skip
def follow_link(key: str) -> Response[Any]:
    # Deployed, API Gateway sends /{key} to resolve; this route documents it in the OpenAPI
    # document and answers the same way (same domain code) should it ever be reached here.
    event = app.current_event
    answer = follow(runtime.store(), event.http_method, key, event.headers)
    return Response(status_code=answer["statusCode"], body=answer["body"], headers=answer["headers"])


def openapi_document() -> str:
    return app.get_openapi_json_schema(
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
    return _domain_error(_as_invalid_input(error.errors()))


@app.exception_handler(Exception)
def _unexpected(error: Exception) -> Response[Any]:
    logger.exception("unexpected failure")
    return _domain_error(SnipError("Something went wrong on our side."))


@app.not_found
def _no_route(_: Exception) -> Response[Any]:
    return Response(404, JSON, error_body("not_found", "No such route."))


_FIELDS = set(LinkCreate.model_fields) | set(LinkPatch.model_fields)


def _as_invalid_input(errors: Any) -> InvalidInput:
    """The first pydantic error as Snip's error code: unknown_field, invalid_<field>, invalid_json."""
    first = errors[0] if errors else {}
    loc = tuple(first.get("loc", ()))
    kind = first.get("type", "")
    field = loc[1] if len(loc) > 1 and loc[0] == "body" else None
    if kind == "extra_forbidden" and field is not None:
        return InvalidInput(f"Unknown field '{field}'.", code="unknown_field")
    if kind == "json_invalid" or field not in _FIELDS:
        return InvalidInput("The body must be a JSON object.", code="invalid_json")
    reason = first.get("ctx", {}).get("error")  # our validators' own sentence
    message = f"{field}: {reason or first.get('msg', 'is invalid')}"
    return InvalidInput(message.rstrip(".") + ".", code=f"invalid_{field}")


# -- entry point -------------------------------------------------------------------------
def _precheck(event: dict[str, Any]) -> SnipError | None:
    """What API Gateway hands us unchecked: the body's size and media type (413, 415, 400)."""
    if event.get("httpMethod") not in ("POST", "PATCH"):
        return None
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    if len(raw) > MAX_BODY_BYTES:
        return BodyTooLarge(f"The body must be at most {MAX_BODY_BYTES} bytes.")
    media = (header(event.get("headers"), "Content-Type") or "").split(";")[0].strip().lower()
    if media != JSON:
        return UnsupportedMediaType("Send the body as application/json.")
    try:
        # UTF-8 only (RFC 8259): json.loads would also guess UTF-16/32 from bytes, which the
        # Event Handler then fails to decode. RecursionError: nested deeper than the parser goes.
        json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return InvalidInput("The body must be a JSON object.", code="invalid_json")
    # Media types are case-insensitive (RFC 9110) but the Event Handler compares them as
    # written: hand it the canonical spelling.
    headers = event["headers"]
    for name in [n for n in headers if n.lower() == "content-type"]:
        del headers[name]
    headers["Content-Type"] = JSON
    return None


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    problem = _precheck(event)
    if problem is not None:
        return error_response(problem)
    if context is not None:
        idempotent.config().register_lambda_context(context)
    return app.resolve(event, context)


handler = instrument(_handle, logger, metrics)
runtime.warm_pool_at_init()
