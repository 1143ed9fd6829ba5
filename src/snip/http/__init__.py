"""HTTP at the edges: Lambda proxy responses, the domain error → status table, the links API's
request and response models and addresses, its OpenAPI document and the Event Handler
middlewares.

Only this package and the handlers' side (``functions/``, ``snip.links_api``) know about status
codes and headers: domain errors carry a code and a description, and ``snip.http.error_status``
gives each its status. ``snip.http.responses`` and ``snip.http.error_status`` are kept free of
heavy imports (resolve's cold path loads them); the pydantic models and the OpenAPI pieces are
loaded by shorten only. It may import ``snip.domain``, ``snip.operations``, ``snip.execution``
and ``snip.settings``.
"""
