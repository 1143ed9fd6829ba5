"""shorten's HTTP API: the links API's routes as Powertools Event Handler ``Router``s, one short
module per group of what they serve, and what those routes share.

* ``links_routes`` — POST and GET /links, GET, PATCH and DELETE /links/{key};
* ``batch_routes`` — POST /links/batch; ``stats_routes`` — GET /links/{key}/stats;
  ``qr_routes`` — GET /links/{key}/qr; ``docs_routes`` — /health and /openapi.json;
* ``idempotency_header`` — an ``Idempotency-Key`` answered once; ``shorten_telemetry`` —
  shorten's Logger and Metrics and the counts the routes add; ``error_handlers`` — domain
  errors, validation errors and no route, turned into responses in one place.

``functions/shorten/shorten_app.py`` only wires these: the resolver, its middlewares, the error
handlers, one ``include_router`` per group and the instrumented handler. A route parses (the
Event Handler and ``snip.http.api_models`` validate), calls one operation, and answers through
``snip.http``. It may import every other room of ``snip``; nothing imports it but shorten.
"""
