"""POST /links as plain functions of the Lambda proxy event: the route clients call on a cold
shorten, served without the Event Handler, pydantic, Powertools' Logger and Metrics or the X-Ray
SDK (shorten's cold start goal: at most 1.35 times the bare handler's, docs/performance.md).

The same steps as the Event Handler's route (``links_routes.create_link``, which documents it):
the API key's scope (``scope_middleware.admit``), the body checks (``body_middleware.check_body``),
the create request's rules (``snip.domain.link_request``, the only ones), the create, once per
Idempotency-Key (``idempotency_header.answer_once``; Powertools Idempotency loaded only for a
request that carries one), and the same answer: status, headers and body as the Event Handler
builds them, errors through ``snip.http.responses`` as ``error_handlers`` maps them. Logs and
metrics are the hot path's lean lines (``snip.execution.hot_path_telemetry``, as resolve writes
them), in Powertools' formats. tests/service/test_lean_create.py holds both routes to one answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from snip.domain.errors import SnipError
from snip.domain.link_request import parse_link_request
from snip.execution import environment, metric_names
from snip.execution.hot_path_telemetry import EmfCounters, JsonLogger
from snip.http.body_middleware import check_body
from snip.http.responses import JSON, MultiValueProxyResponse, error_response, event_object, header
from snip.http.scope_middleware import admit
from snip.links_api.idempotency_header import IDEMPOTENCY_KEY, Creator, answer_once, remember_invocation

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

SERVICE = "shorten"  # as shorten_telemetry's Logger and Metrics
logger = JsonLogger(service=SERVICE)
metrics = EmfCounters(namespace=metric_names.NAMESPACE, service=SERVICE)

# api_models.LinkCreated's fields in its order (tests/service/test_lean_create.py checks it), so
# that an answer, and its replay stored with sorted keys, read as the documented model.
CREATED_FIELDS = (
    "key", "short_url", "url", "created_at", "expires_at", "max_visits", "redirect_status", "tags", "title",
    "notes", "rules", "split", "forward_query", "visits",
)  # fmt: skip


def serves(event: Mapping[str, object]) -> bool:
    """Whether ``event`` is a POST /links, which this module answers."""
    return event.get("httpMethod") == "POST" and event.get("resource") == "/links"


def handle(event: Mapping[str, object], context: LambdaContext) -> MultiValueProxyResponse:
    """Answer a POST /links: the link created (201), or the error as the Event Handler answers it."""
    logger.bind(
        context, correlation_id=str(event_object(event, "requestContext").get("requestId") or "") or None
    )
    try:
        response = _create(event, context)
    except SnipError as error:
        response = _error(error)
    except Exception:
        logger.exception("unexpected failure")
        response = _error(SnipError("Something went wrong on our side."))
    metrics.flush(context)
    return response


def _create(event: Mapping[str, object], context: LambdaContext) -> MultiValueProxyResponse:
    principal = admit(event)
    if principal is None:  # POST /links needs links:write (snip.domain.api_scopes)
        raise SnipError("POST /links reached the lean path without its scope.")
    body = check_body(event)
    request = parse_link_request(body)
    if header(event.get("headers"), IDEMPOTENCY_KEY) is not None:
        remember_invocation(context)

    def create(creator: Creator) -> dict[str, object]:
        created, claim = environment.links().create(
            creator.owner, request, creator.base_url, creator.own_hosts, creator.record
        )
        for name, value in metric_names.creation_counts(1, claim):
            metrics.add(name, value)
        return created

    link = answer_once(Creator.of(principal.owner, event), event, body, create)
    # A replay stored before a field existed lacks it: that link had none (null).
    created = json.dumps({name: link.get(name) for name in CREATED_FIELDS})
    return proxy_response(201, created, {"Content-Type": JSON, "Location": f"/links/{link['key']}"})


def _error(error: SnipError) -> MultiValueProxyResponse:
    """As ``error_handlers.domain_error`` answers (and logs) a domain error."""
    response = error_response(error)
    if response["statusCode"] >= 500:
        logger.warning("request failed", extra={"code": error.code, "reason": str(error.__cause__)})
    return proxy_response(response["statusCode"], response["body"], response["headers"])


def proxy_response(status: int, body: str, headers: dict[str, str]) -> MultiValueProxyResponse:
    """A REST API (payload 1.0) proxy response, as Powertools' APIGatewayRestResolver builds it."""
    return {
        "statusCode": status,
        "body": body,
        "isBase64Encoded": False,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
    }


def cold_start_reported() -> None:
    """The environment's cold start was logged and counted already (by the Event Handler's
    Powertools telemetry): these lines must not report a second one."""
    logger.mark_warm()
    metrics.mark_warm()
