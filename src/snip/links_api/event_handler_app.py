"""shorten's links API as one Powertools Event Handler resolver: its middlewares in the order
they must run, the error handlers, one router per group of routes, and the instrumented handler.

Every route is declared here, POST /links too, and /openapi.json documents them all; shorten's
entry point (functions/shorten/shorten_app.py) imports this module on the first request it does
not serve through the lean POST /links (``snip.links_api.lean_create``), so that a cold start on
the route clients call loads neither the Event Handler nor pydantic.

No X-Ray SDK (``trace=False``, as keygen and resolve): its import and botocore patching would
double shorten's cold start; Lambda's active tracing still records each invocation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from snip.execution.powertools_wiring import instrument
from snip.http import body_middleware, scope_middleware
from snip.links_api import (
    batch_routes,
    bulk_routes,
    docs_routes,
    error_handlers,
    links_routes,
    qr_routes,
    stats_routes,
)
from snip.links_api.idempotency_header import remember_invocation
from snip.links_api.shorten_telemetry import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

app = APIGatewayRestResolver()  # validation comes with body_middleware.middlewares(), in its place
# The API key's owner and scope first (403 before any body is read), then the body checks.
app.use(middlewares=[scope_middleware.check_scope, *body_middleware.middlewares()])
error_handlers.register(app)
# In this order the document lists the routes (docs/openapi.json). The resolver tries a path
# without parameters before one with: /links/bulk is never /links/<key> (tested).
for group in (links_routes, batch_routes, bulk_routes, stats_routes, qr_routes, docs_routes):
    app.include_router(group.router)


def resolve_request(event: dict[str, object], context: LambdaContext) -> dict[str, object]:
    """One request through the resolver, uninstrumented (tests wrap it their own way)."""
    remember_invocation(context)
    return app.resolve(event, context)


handler = instrument(resolve_request, logger, metrics, trace=False)


def cold_start_reported() -> None:
    """The environment's cold start was logged and counted already (by the lean POST /links):
    Powertools' Logger and Metrics must not report a second one."""
    from aws_lambda_powertools.logging import logger as powertools_logger
    from aws_lambda_powertools.metrics.provider import cold_start

    powertools_logger.is_cold_start = False
    cold_start.is_cold_start = False
