"""shorten: the links API's entry point (POST/GET /links, POST /links/batch, GET/PATCH/DELETE
/links/{key}, GET /links/{key}/stats and /qr, /health and /openapi.json).

It only dispatches. POST /links, the route clients call on a cold function, goes through the
lean path (``snip.links_api.lean_create``: plain functions of the event, no Event Handler, no
pydantic, the hot path's lean logs and metrics); every other route through the Event Handler's
resolver (``snip.links_api.event_handler_app``, where the routers are wired and every route,
POST /links too, is documented), imported on the first request that needs it. Whichever runs
first reports the environment's one cold start. No X-Ray SDK on either path; Lambda's active
tracing still records each invocation.
"""

from __future__ import annotations

import gc

# As resolve: a cold start runs without the garbage collector (its imports and the SDK client made
# for the first request live as long as the environment); the first request's end freezes them
# and collects again (``environment.resume_collector``).
gc.disable()

from collections.abc import Mapping  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

from snip.execution import environment  # noqa: E402
from snip.links_api import lean_create  # noqa: E402

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

_event_handler: ModuleType | None = None  # snip.links_api.event_handler_app, once a request needed it
_served_lean = False


def handler(event: dict[str, object], context: LambdaContext) -> Mapping[str, object]:
    """A Lambda proxy response, from the lean path or the Event Handler's."""
    global _served_lean
    try:
        if lean_create.serves(event):
            if _event_handler is not None and not _served_lean:
                lean_create.cold_start_reported()  # the Event Handler's telemetry reported it
            _served_lean = True
            return lean_create.handle(event, context)
        answer: Mapping[str, object] = _event_handler_app().handler(event, context)
        return answer
    finally:
        environment.resume_collector()  # a no-op but after a cold start's first request


def _event_handler_app() -> ModuleType:
    global _event_handler
    if _event_handler is None:
        from snip.links_api import event_handler_app

        if _served_lean:
            event_handler_app.cold_start_reported()  # the lean path's telemetry reported it
        _event_handler = event_handler_app
    return _event_handler


environment.warm_pool_at_init()
