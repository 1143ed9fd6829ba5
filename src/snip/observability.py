"""Logger, Metrics and Tracer wiring, the same for every function.

Tracing uses the X-Ray SDK, whose import costs ~0.2 s of cold start; it is only loaded where
tracing is on (POWERTOOLS_TRACE_DISABLED=true switches it off, as the local stack does).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths

Handler = Callable[[dict[str, Any], Any], Any]


def tracing_enabled() -> bool:
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").lower() in ("1", "true")
    return not disabled and "AWS_LAMBDA_FUNCTION_NAME" in os.environ


def instrument(
    handler: Handler,
    logger: Logger,
    metrics: Metrics,
    *,
    correlation_path: str | None = correlation_paths.API_GATEWAY_REST,
    trace: bool = True,
) -> Handler:
    """Wrap a handler in Powertools' decorators, outermost first: logger, tracer, metrics."""
    wrapped = metrics.log_metrics(handler, capture_cold_start_metric=True)
    if trace and tracing_enabled():
        from aws_lambda_powertools import Tracer

        # Never the response: a trace is no place for the links' target URLs and their tokens.
        wrapped = Tracer().capture_lambda_handler(wrapped, capture_response=False)
    return logger.inject_lambda_context(wrapped, correlation_id_path=correlation_path)
