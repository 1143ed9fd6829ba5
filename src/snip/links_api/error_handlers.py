"""shorten's answers when a route does not answer: domain errors, requests that fail the Event
Handler's validation, anything unexpected, and paths with no route, mapped in one place.

Every error answers ``{"error": {"code", "message"}}`` with the status of
``snip.http.error_status`` (through ``snip.http.responses.error_response``, as resolve's do).
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from snip.domain.errors import SnipError
from snip.http.api_models import as_invalid_input
from snip.http.responses import JSON, error_body, error_response
from snip.links_api.shorten_telemetry import logger


def domain_error(error: SnipError) -> Response[str]:
    response = error_response(error)
    if response["statusCode"] >= 500:
        logger.warning("request failed", extra={"code": error.code, "reason": str(error.__cause__)})
    return Response(status_code=response["statusCode"], body=response["body"], headers=response["headers"])


def validation_error(error: RequestValidationError) -> Response[str]:
    return domain_error(as_invalid_input(error.errors()))


def unexpected_error(error: Exception) -> Response[str]:
    logger.exception("unexpected failure")
    return domain_error(SnipError("Something went wrong on our side."))


def no_route(_: Exception) -> Response[str]:
    return Response(404, JSON, error_body("not_found", "No such route."))


def register(app: APIGatewayRestResolver) -> None:
    """Install the handlers above on ``app``."""
    app.exception_handler(SnipError)(domain_error)
    app.exception_handler(RequestValidationError)(validation_error)
    app.exception_handler(Exception)(unexpected_error)
    app.not_found(no_route)
