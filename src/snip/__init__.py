"""Snip's runtime package: everything a Lambda function imports besides its entry point.

It reaches each Lambda function as a symlink inside the function's deployable folder
(``functions/<name>/snip -> ../../src/snip``); see docs/architecture.md. Its rooms, from the
inside out (each may import only the rooms before it, and ``snip.settings``):

* ``snip.domain`` — links, short-link keys, liveness, validation, visit events, rollups and
  stats arithmetic, API scopes. Plain Python: no boto3, no HTTP.
* ``snip.data`` — one small adapter per table (and the event archive's bucket); the only code
  that talks to AWS. Turns items into domain objects and AWS errors into domain errors.
* ``snip.operations`` — what the functions do, in domain terms, through the data adapters:
  create and change links, claim and refill keys, follow a link, count visits.
* ``snip.execution`` — what one execution environment builds once (clients, adapters,
  telemetry) and how tests reset it.
* ``snip.http`` — responses, the error → status table, request and response models, the
  OpenAPI document, Event Handler middlewares. Nothing before it knows about HTTP.
* ``snip.links_api`` — shorten's HTTP API: its routes as Event Handler routers, one module per
  group, and what they share (idempotent requests, shorten's telemetry, error handlers).

``snip.settings`` declares every setting once; deploy-time facts live in ``snip_deploy``, which
ships in no asset and which no room imports. tests/unit/test_room_imports.py holds the rooms to this.
"""
