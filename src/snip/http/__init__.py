"""HTTP at the edges: Lambda proxy responses, the domain error → status table, the links API's
request and response models, its OpenAPI document and the Event Handler middlewares.

Only handlers and this package know about status codes and headers. ``snip.http.responses`` is
kept free of heavy imports (resolve's cold path loads it); the pydantic models and the OpenAPI
pieces are loaded by shorten only. It may import ``snip.domain``, ``snip.operations``,
``snip.execution`` and ``snip.settings``.
"""
