"""shorten: the links API's entry point (POST/GET /links, POST /links/batch, GET/PATCH/DELETE
/links/{key}, GET /links/{key}/stats and /qr, /health and /openapi.json).

It only wires: the resolver, its middlewares in the order they must run, the error handlers,
one router per group of routes (``snip.links_api``, where the routes live) and the handler
with its Powertools decorators. A route parses, calls one operation and answers through
``snip.http``; domain errors become responses in one place (``snip.links_api.error_handlers``).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from snip.execution import environment
from snip.execution.powertools_wiring import instrument
from snip.http import body_middleware, scope_middleware
from snip.links_api import (
    batch_routes,
    docs_routes,
    error_handlers,
    links_routes,
    qr_routes,
    stats_routes,
)
from snip.links_api.idempotency_header import remember_invocation
from snip.links_api.shorten_telemetry import logger, metrics

app = APIGatewayRestResolver()  # validation comes with body_middleware.middlewares(), in its place
# The API key's owner and scope first (403 before any body is read), then the body checks.
app.use(middlewares=[scope_middleware.check_scope, *body_middleware.middlewares()])
error_handlers.register(app)
# In this order the document lists the routes as it always has (docs/openapi.json).
for group in (links_routes, batch_routes, stats_routes, qr_routes, docs_routes):
    app.include_router(group.router)


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    remember_invocation(context)
    return app.resolve(event, context)


handler = instrument(_handle, logger, metrics)
environment.warm_pool_at_init()

environment.freeze_imports()  # last: everything imported above stays out of the collector's way
