"""The API Gateway stand-in: one REST API stage on loopback in front of the functions.

For each request, in API Gateway's order: find the resource and method (else 403 "Missing Authentication
Token"), check the payload limit (413), the API key (403 "Forbidden"), the usage plan's quota and the
throttles (429), then build the proxy event, invoke the function and map its answer back (502 when it
failed or answered something API Gateway cannot read).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from snip_deploy.api_limits import ApiLimits
from snip_deploy.routes import BINARY_MEDIA_TYPES
from snip_local.events import Caller, MalformedResponse, build_event, parse_response
from snip_local.local_functions import LocalFunctions
from snip_local.routing import Router
from snip_local.throttle import Limiter, Verdict
from snip_local.worker_pool import NoCapacity

log = logging.getLogger("snip_local")

# API Gateway's own answers: status, message, x-amzn-ErrorType.
MISSING_TOKEN = (403, "Missing Authentication Token", "MissingAuthenticationTokenException")
FORBIDDEN = (403, "Forbidden", "ForbiddenException")
THROTTLED = (429, "Too Many Requests", "TooManyRequestsException")
QUOTA_SPENT = (429, "Limit Exceeded", "LimitExceededException")
TOO_LARGE = (413, "Request Too Long", "RequestTooLongException")
INTEGRATION_FAILED = (502, "Internal server error", "InternalServerErrorException")
TIMED_OUT = (504, "Endpoint request timed out", "IntegrationTimeoutException")
RAW_HEADERS = "snip_local.raw_headers"


class Gateway:
    def __init__(
        self, functions: LocalFunctions, router: Router, api_keys: dict[str, str], limits: ApiLimits
    ) -> None:
        self.functions = functions
        self.router = router
        self.api_keys = api_keys  # secret -> key id
        self.limits = limits
        self.limiter = Limiter(limits)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request_id = str(uuid.uuid4())
        began = time.monotonic()
        response, note = self.handle(request, request_id)
        response.headers["x-amzn-RequestId"] = request_id
        response.headers["x-amz-apigw-id"] = request_id[:8] + "="
        log.info(
            "%s %s %s %s %.0fms",
            request.method,
            request.full_path.rstrip("?"),
            response.status_code,
            note,
            (time.monotonic() - began) * 1000,
        )
        return response(environ, start_response)

    def handle(self, request: Request, request_id: str) -> tuple[Response, str]:
        match = self.router.match(request.method, request.path)
        if match is None:
            return _own(MISSING_TOKEN), "-"
        target = match.target
        if (request.content_length or 0) > self.limits.max_body_bytes:
            return _own(TOO_LARGE), "-"
        body = request.stream.read(self.limits.max_body_bytes + 1)
        if len(body) > self.limits.max_body_bytes:
            return _own(TOO_LARGE), "-"
        secret = request.headers.get("x-api-key")
        key_id = None
        if target.api_key_required:
            key_id = self.api_keys.get(secret or "")
            if key_id is None:
                return _own(FORBIDDEN), "-"
        verdict = self.limiter.check(request.method, target.resource, key_id)
        if verdict is not Verdict.ADMIT:
            return _own(THROTTLED if verdict is Verdict.THROTTLED else QUOTA_SPENT), f"key={key_id}"
        caller = Caller(
            source_ip=request.remote_addr or "127.0.0.1",
            api_key=secret if target.api_key_required else None,
            api_key_id=key_id,
        )
        event = build_event(
            method=request.method,
            path=request.path,
            query_string=request.query_string.decode("latin-1"),
            headers=request.environ.get(RAW_HEADERS) or list(request.headers.items()),
            body=body,
            resource=target.resource,
            path_parameters=match.path_parameters,
            caller=caller,
            request_id=request_id,
            binary_media_types=BINARY_MEDIA_TYPES,
        )
        pool = self.functions.pools[target.function]
        try:
            outcome = pool.invoke(event, wait=29.0)  # API Gateway's integration timeout
        except NoCapacity:
            return _own(TIMED_OUT), target.function
        note = f"{outcome.worker}{' (cold)' if outcome.cold else ''}" + (f" key={key_id}" if key_id else "")
        if outcome.error is not None:
            log.error(
                "%s failed: %s: %s", outcome.worker, outcome.error["errorType"], outcome.error["errorMessage"]
            )
            return _own(INTEGRATION_FAILED), note
        try:
            proxied = parse_response(outcome.result)
        except MalformedResponse as exc:
            log.error("%s: malformed Lambda proxy response: %s", outcome.worker, exc)
            return _own(INTEGRATION_FAILED), note
        response = Response(proxied.body, proxied.status)
        response.headers.clear()
        for name, value in proxied.headers:
            response.headers.add(name, value)
        if "content-type" not in response.headers:
            response.headers["Content-Type"] = "application/json"
        return response, note


def _own(answer: tuple[int, str, str]) -> Response:
    status, message, error_type = answer
    response = Response(json.dumps({"message": message}), status, content_type="application/json")
    response.headers["x-amzn-ErrorType"] = error_type
    return response


class _Handler(WSGIRequestHandler):
    """Keeps the headers as sent (case, repeats) for the proxy event; logging is the gateway's."""

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        environ[RAW_HEADERS] = list(self.headers.items())
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class GatewayServer:
    def __init__(self, port: int, gateway: Gateway) -> None:
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", port, gateway, threaded=True, request_handler=_Handler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="gateway", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
