"""The one table from a domain error to its HTTP status.

Domain errors carry a code and a client-facing description, never a status: the responses
(``snip.http.responses``, resolve's and shorten's alike), a batch item's result and the OpenAPI
document (``snip.http.openapi``) all look the status up here, so that what is documented is what
is sent. Kept to the standard library and ``snip.domain``: resolve's cold start loads it.
"""

from __future__ import annotations

from snip.domain.errors import (
    AliasTaken,
    ApiKeyRevoked,
    BodyTooLarge,
    DependencyUnavailable,
    IdempotencyMismatch,
    InsufficientScope,
    InvalidInput,
    LinkGone,
    LinkNotFound,
    RequestInProgress,
    SnipError,
    UnsupportedMediaType,
)

STATUS_OF: dict[type[SnipError], int] = {
    SnipError: 500,
    InvalidInput: 400,
    InsufficientScope: 403,
    ApiKeyRevoked: 403,
    LinkNotFound: 404,
    AliasTaken: 409,
    RequestInProgress: 409,
    LinkGone: 410,
    BodyTooLarge: 413,
    UnsupportedMediaType: 415,
    IdempotencyMismatch: 422,
    DependencyUnavailable: 503,
}


def status_of(error: SnipError | type[SnipError]) -> int:
    """The status of ``error`` (an instance or a class): its own class's, else its nearest base's."""
    kind = error if isinstance(error, type) else type(error)
    for base in kind.__mro__:
        if base in STATUS_OF:
            return STATUS_OF[base]
    return STATUS_OF[SnipError]


def item_failure(error: object) -> dict[str, object]:
    """One item's failure in a batch or bulk answer (the others' fate is their own): its status and
    error body. Anything but a domain error there is a bug."""
    if not isinstance(error, SnipError):
        raise TypeError(f"An item's result is its outcome or a SnipError, not {error!r}.")
    return {"status": status_of(error), "error": {"code": error.code, "message": error.message}}
