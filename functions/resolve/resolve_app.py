"""resolve: GET and HEAD /{key}, the public redirect.

The hot path, kept lean: no Event Handler, no pydantic, no X-Ray SDK (Lambda's active tracing
still records each invocation); one DynamoDB request per redirect.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from snip import runtime
from snip.errors import SnipError
from snip.metric_names import NAMESPACE as METRICS_NAMESPACE
from snip.observability import instrument
from snip.redirect import follow
from snip.web import error_response, header

logger = Logger(service="resolve")
metrics = Metrics(namespace=METRICS_NAMESPACE, service="resolve")

_OUTCOMES = {404: "LinkNotFound", 410: "LinkGone", 503: "DependencyUnavailable"}


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    headers = event.get("headers") or {}
    key = (event.get("pathParameters") or {}).get("key") or ""
    try:
        request_id = (event.get("requestContext") or {}).get("requestId") or ""
        response = follow(
            runtime.store(), event.get("httpMethod", "GET"), key, headers, request_id=request_id
        )
    except Exception:
        logger.exception("unexpected failure while resolving a link")
        response = error_response(SnipError("Something went wrong on our side."), header(headers, "Accept"))
    status = response["statusCode"]
    metrics.add_metric(name=_OUTCOMES.get(status, "Redirects"), unit=MetricUnit.Count, value=1)
    if status >= 500:
        logger.warning("redirect failed", extra={"key": key, "status": status})
    return response


handler = instrument(_handle, logger, metrics, trace=False)
