"""Domain exceptions. Each knows its error code and what it means to a client; none knows an
HTTP status: ``snip.http.error_status`` maps them to statuses in one table, which the responses
and the OpenAPI document (described from these same classes) both read."""

from __future__ import annotations

from snip.domain.validation import MAX_BATCH_BODY_BYTES, MAX_BODY_BYTES


class SnipError(Exception):
    code = "internal_error"
    description = "Something went wrong on our side"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidInput(SnipError):
    code = "invalid_request"
    description = "Invalid request (see error.code)"


class UnsupportedMediaType(SnipError):
    code = "unsupported_media_type"
    description = "Body is not application/json"


class BodyTooLarge(SnipError):
    code = "body_too_large"
    description = (
        f"Body larger than {MAX_BODY_BYTES // 1024} KiB"
        f" ({MAX_BATCH_BODY_BYTES // 1024 // 1024} MiB on /links/batch)"
    )


class LinkNotFound(SnipError):
    code = "link_not_found"
    description = "No such link (or not yours)"


class LinkGone(SnipError):
    """The key exists but no longer redirects: deleted, disabled, expired or out of visits."""

    code = "link_gone"
    description = "Deleted, disabled, expired or out of visits"


class AliasTaken(SnipError):
    code = "alias_taken"
    description = "Alias taken"


class RequestInProgress(SnipError):
    code = "request_in_progress"
    description = "The same Idempotency-Key still in flight"


class IdempotencyMismatch(SnipError):
    code = "idempotency_mismatch"
    description = "Idempotency-Key reused with another body"


class InsufficientScope(SnipError):
    """The API key is valid but lacks the scope the route needs (``snip.domain.api_scopes``)."""

    code = "insufficient_scope"
    description = "The API key lacks the scope this route needs"


class ApiKeyRevoked(SnipError):
    """The key was revoked (``snip keys revoke``) and API Gateway has not caught up yet."""

    code = "key_revoked"
    description = "The API key was revoked"


class DependencyUnavailable(SnipError):
    """DynamoDB (or another dependency) failed after the SDK's retries: the client should retry."""

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


class LinkChanged(Exception):
    """A change made on condition that the link still held what was read found it changed since:
    ``now`` is the owner's live link as it is (to read again from, and try once more)."""

    def __init__(self, now: object) -> None:
        super().__init__("the link changed since it was read")
        self.now = now
