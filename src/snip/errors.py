"""Domain exceptions. Each knows its HTTP status and error code; handlers map them in one place."""

from __future__ import annotations


class SnipError(Exception):
    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidInput(SnipError):
    status = 400
    code = "invalid_request"


class UnsupportedMediaType(SnipError):
    status = 415
    code = "unsupported_media_type"


class BodyTooLarge(SnipError):
    status = 413
    code = "body_too_large"


class LinkNotFound(SnipError):
    status = 404
    code = "link_not_found"


class LinkGone(SnipError):
    """The key exists but no longer redirects: deleted, disabled, expired or out of visits."""

    status = 410
    code = "link_gone"


class AliasTaken(SnipError):
    status = 409
    code = "alias_taken"


class RequestInProgress(SnipError):
    status = 409
    code = "request_in_progress"


class IdempotencyMismatch(SnipError):
    status = 422
    code = "idempotency_mismatch"


class DependencyUnavailable(SnipError):
    """DynamoDB (or another dependency) failed after the SDK's retries: the client should retry."""

    status = 503
    code = "service_unavailable"
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
