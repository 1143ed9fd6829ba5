"""Domain exceptions. Each knows its HTTP status, error code and what it means to a client:
handlers map them in one place, and the OpenAPI document describes them from the same classes."""

from __future__ import annotations

from snip.domain.validation import MAX_BATCH_BODY_BYTES, MAX_BODY_BYTES


class SnipError(Exception):
    status = 500
    code = "internal_error"
    description = "Something went wrong on our side"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidInput(SnipError):
    status = 400
    code = "invalid_request"
    description = "Invalid request (see error.code)"


class UnsupportedMediaType(SnipError):
    status = 415
    code = "unsupported_media_type"
    description = "Body is not application/json"


class BodyTooLarge(SnipError):
    status = 413
    code = "body_too_large"
    description = (
        f"Body larger than {MAX_BODY_BYTES // 1024} KiB"
        f" ({MAX_BATCH_BODY_BYTES // 1024 // 1024} MiB on /links/batch)"
    )


class LinkNotFound(SnipError):
    status = 404
    code = "link_not_found"
    description = "No such link (or not yours)"


class LinkGone(SnipError):
    """The key exists but no longer redirects: deleted, disabled, expired or out of visits."""

    status = 410
    code = "link_gone"
    description = "Deleted, disabled, expired or out of visits"


class AliasTaken(SnipError):
    status = 409
    code = "alias_taken"
    description = "Alias taken"


class RequestInProgress(SnipError):
    status = 409
    code = "request_in_progress"
    description = "The same Idempotency-Key still in flight"


class IdempotencyMismatch(SnipError):
    status = 422
    code = "idempotency_mismatch"
    description = "Idempotency-Key reused with another body"


class DependencyUnavailable(SnipError):
    """DynamoDB (or another dependency) failed after the SDK's retries: the client should retry."""

    status = 503
    code = "service_unavailable"
    description = "A dependency failed; retry after Retry-After seconds"
    retry_after = 1

    def __init__(self, message: str, *, ambiguous: bool = False) -> None:
        super().__init__(message)
        # True when the request may have been carried out (a timeout, a 5xx): a write must be
        # checked before it is reported as failed.
        self.ambiguous = ambiguous


class KeyTaken(Exception):
    """A conditional put found the key already used (by a link, live or deleted)."""


class KeyClaimConflict(Exception):
    """A claim transaction was cancelled; ``reason`` says why (read from CancellationReasons)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "claimed" (gone from the pool), "used" (a link has it), "conflict"
