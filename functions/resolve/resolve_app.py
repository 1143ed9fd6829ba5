"""resolve: GET and HEAD /{key}, the public redirect.

Called by CloudFront through its Function URL (payload 2.0) or by the REST API (payload 1.0), the
API-Gateway-only shape; both read alike (snip.http.redirect_events) and get the same answer, a
proxy response either format takes.

The hot path, kept lean: no Event Handler, no pydantic, no X-Ray SDK (Lambda's active tracing
still records each invocation), no Powertools Logger or Metrics (snip.execution.hot_path_telemetry writes the
same lines), no user-agent parser (the aggregator classifies; a link with device or OS rules loads
the small shared table, snip.domain.user_agents, on first need). A warm redirect is one DynamoDB
request (the link comes from memory): the visit event's PutItem, or, for a link with max_visits,
one TransactWriteItems of the link's conditional count and the event (snip.operations.follow_link).
"""

from __future__ import annotations

import gc

# A cold start runs without the garbage collector: its imports and the first request's SDK client
# make only objects that live as long as the environment, so a collection then finds nothing to
# free and only walks them (about 10 ms of a cold redirect, ``make bench`` part 1). The first
# request's end freezes them and collects again (``runtime.resume_collector``).
gc.disable()

from typing import Any  # noqa: E402

from snip.domain.errors import SnipError  # noqa: E402
from snip.execution import environment, metric_names  # noqa: E402
from snip.execution.environment import redirect_tables  # noqa: E402  # with the links it remembers for 2 s
from snip.execution.hot_path_telemetry import EmfCounters, JsonLogger  # noqa: E402
from snip.http.redirect_events import redirect_request  # noqa: E402
from snip.http.responses import ProxyResponse, error_response, header, redirect_response  # noqa: E402
from snip.operations.follow_link import follow  # noqa: E402

logger = JsonLogger(service="resolve")
metrics = EmfCounters(namespace=metric_names.NAMESPACE, service="resolve")

_OUTCOMES = {
    404: metric_names.LINK_NOT_FOUND,
    410: metric_names.LINK_GONE,
    503: metric_names.DEPENDENCY_UNAVAILABLE,
}


def handler(event: dict[str, Any], context: Any) -> ProxyResponse:
    try:
        return _redirect(event, context)
    finally:
        environment.resume_collector()  # a no-op but after a cold start's first request


def _redirect(event: dict[str, Any], context: Any) -> ProxyResponse:
    request = redirect_request(event, getattr(context, "aws_request_id", ""))
    headers, key = request.headers, request.key
    logger.bind(context, correlation_id=request.request_id)
    try:
        redirect = follow(redirect_tables(), key, request.visit, request.visitor)
        response = redirect_response(
            redirect.url, redirect.status, personal=redirect.personal, visitor_cookie=redirect.visitor_cookie
        )
    except SnipError as error:
        response = error_response(error, header(headers, "Accept"))
    except Exception:
        logger.exception("unexpected failure while resolving a link")
        response = error_response(SnipError("Something went wrong on our side."), header(headers, "Accept"))
    status = response["statusCode"]
    metrics.add(_OUTCOMES.get(status, metric_names.REDIRECTS))
    if status >= 500:
        logger.warning("redirect failed", extra={"key": key, "status": status})
    metrics.flush(context)
    return response
