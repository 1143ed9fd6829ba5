"""resolve: GET and HEAD /{key}, the public redirect.

The hot path, kept lean: no Event Handler, no pydantic, no X-Ray SDK (Lambda's active tracing
still records each invocation); one DynamoDB request per redirect.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from snip import metric_names, runtime
from snip.errors import SnipError
from snip.observability import instrument
from snip.redirect import follow
from snip.web import error_response, header, redirect_response

logger = Logger(service="resolve")
metrics = Metrics(namespace=metric_names.NAMESPACE, service="resolve")

_OUTCOMES = {
    404: metric_names.LINK_NOT_FOUND,
    410: metric_names.LINK_GONE,
    503: metric_names.DEPENDENCY_UNAVAILABLE,
}


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    headers = event.get("headers") or {}
    key = (event.get("pathParameters") or {}).get("key") or ""
    context_id = getattr(context, "aws_request_id", "")
    request_id = str((event.get("requestContext") or {}).get("requestId") or context_id)
    try:
        redirect = follow(
            runtime.store(),
            key,
            count=event.get("httpMethod", "GET") != "HEAD",  # HEAD answers like GET, counts nothing
            user_agent=header(headers, "User-Agent"),
            request_id=request_id,
        )
        response = redirect_response(redirect.url, redirect.status)
    except SnipError as error:
        response = error_response(error, header(headers, "Accept"))
    except Exception:
        logger.exception("unexpected failure while resolving a link")
        response = error_response(SnipError("Something went wrong on our side."), header(headers, "Accept"))
    status = response["statusCode"]
    metrics.add_metric(name=_OUTCOMES.get(status, metric_names.REDIRECTS), unit=MetricUnit.Count, value=1)
    if status >= 500:
        logger.warning("redirect failed", extra={"key": key, "status": status})
    return response


handler = instrument(_handle, logger, metrics, trace=False)
