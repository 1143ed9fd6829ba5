"""Logger, Metrics and Tracer wiring, the same for every function.

Tracing uses the X-Ray SDK, whose import costs ~0.2 s of cold start; it is only loaded where
tracing is on (POWERTOOLS_TRACE_DISABLED=true switches it off, as the local stack does).
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# A Lambda entry point: the event (JSON, whatever its source sends) and Lambda's context.
Handler = Callable[[dict[str, object], "LambdaContext"], object]


def tracing_enabled() -> bool:
    disabled = os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").lower() in ("1", "true")
    return not disabled and "AWS_LAMBDA_FUNCTION_NAME" in os.environ


# Powertools warns on every invocation that adds no metric (GET /health, a 404): expected here,
# and silenced as its documentation says, around the flush only.
EMPTY_METRICS_WARNING = "No application metrics to publish"


def _quiet_when_no_metrics(handler: Handler) -> Handler:
    @functools.wraps(handler)
    def run(event: dict[str, object], context: LambdaContext) -> object:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=EMPTY_METRICS_WARNING, category=UserWarning)
            return handler(event, context)

    return run


def instrument(
    handler: Handler,
    logger: Logger,
    metrics: Metrics,
    *,
    correlation_path: str | None = correlation_paths.API_GATEWAY_REST,
    trace: bool = True,
) -> Handler:
    """Wrap a handler in Powertools' decorators, outermost first: logger, tracer, metrics."""
    wrapped = _quiet_when_no_metrics(metrics.log_metrics(handler, capture_cold_start_metric=True))
    if trace and tracing_enabled():
        from aws_lambda_powertools import Tracer

        # Never the response: a trace is no place for the links' target URLs and their tokens.
        wrapped = Tracer().capture_lambda_handler(wrapped, capture_response=False)
    return logger.inject_lambda_context(wrapped, correlation_id_path=correlation_path)
