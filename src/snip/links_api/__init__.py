"""shorten's HTTP API: the links API's routes as Powertools Event Handler ``Router``s, one short
module per group of what they serve, and what those routes share.

* ``links_routes`` — POST and GET /links, GET, PATCH and DELETE /links/{key};
* ``batch_routes`` — POST /links/batch; ``stats_routes`` — GET /links/{key}/stats;
  ``qr_routes`` — GET /links/{key}/qr; ``docs_routes`` — /health and /openapi.json;
* ``idempotency_header`` — an ``Idempotency-Key`` answered once; ``shorten_telemetry`` —
  shorten's Logger and Metrics and the counts the routes add; ``error_handlers`` — domain
  errors, validation errors and no route, turned into responses in one place;
* ``event_handler_app`` — the resolver that wires them: its middlewares, the error handlers, one
  ``include_router`` per group and the instrumented handler;
* ``lean_create`` — POST /links as plain functions of the event (no Event Handler, no pydantic),
  the route clients call on a cold shorten, answering as the Event Handler's route would.

``functions/shorten/shorten_app.py`` only dispatches: POST /links to ``lean_create``, any other
route to ``event_handler_app``, imported on first use. A route parses (the Event Handler and
``snip.http.api_models`` validate; a create request by the domain's rules,
``snip.domain.link_request``), calls one operation, and answers through ``snip.http``. It may
import every other room of ``snip``; nothing imports it but shorten.
"""
