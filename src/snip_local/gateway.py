"""The API Gateway stand-in: one REST API stage on loopback in front of the functions.

For each request, in API Gateway's order: find the resource and method (else 403 "Missing Authentication
Token"), check the payload limit (413), the API key (403 "Forbidden"), the usage plan's quota and the
throttles (429), then build the proxy event, invoke the function and map its answer back (502 when it
failed or answered something API Gateway cannot read).

API keys live where a deployed stack's owners and scopes live: the API-key registry table, on the
local DynamoDB endpoint. The keys of ``SNIP_API_KEYS`` are recorded there at start, ``snip keys``
adds and revokes more while the stack runs, and every request reads its key's record (by the
secret's SHA-256: ``snip.data.api_keys_table.local_key_id``), so a revocation counts at once. The
function then sees the key id, as API Gateway hands it over, and finds the owner itself.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

import boto3
from botocore.config import Config
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from snip.data.api_keys_table import ApiKeyRecord, ApiKeyRegistry, local_key_id, secret_sha256
from snip.domain import clock
from snip.domain.errors import DependencyUnavailable
from snip.settings import Env
from snip_deploy.api_limits import ApiLimits
from snip_deploy.routes import BINARY_MEDIA_TYPES
from snip_local.faults import GATEWAY_USER_AGENT
from snip_local.local_config import REGION, LocalApiKey
from snip_local.local_functions import LocalFunctions, table_names
from snip_local.proxy_events import Caller, MalformedResponse, build_event, parse_response
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
SEEDED_NAME = "SNIP_API_KEYS"  # the name a key recorded from SNIP_API_KEYS carries


def registry_at(aws_url: str) -> ApiKeyRegistry:
    """The API-key registry of the local stack whose DynamoDB endpoint is ``aws_url``."""
    client = boto3.client(
        "dynamodb",
        endpoint_url=aws_url,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto checks no signature
        # API Gateway's own key check is not a call from Snip's functions to DynamoDB: the
        # endpoint's fault injection leaves requests marked so alone (snip_local.faults).
        config=Config(user_agent_extra=GATEWAY_USER_AGENT),
    )
    return ApiKeyRegistry(client, table_names()[Env.API_KEYS_TABLE])


class Gateway:
    def __init__(
        self,
        functions: LocalFunctions,
        router: Router,
        api_keys: dict[str, LocalApiKey],
        limits: ApiLimits,
        registry: ApiKeyRegistry,
    ) -> None:
        self.functions = functions
        self.router = router
        self.api_keys = api_keys  # SNIP_API_KEYS: recorded in the registry by seed_keys()
        self.registry = registry
        self.limits = limits
        self.limiter = Limiter(limits)

    def seed_keys(self) -> None:
        """Record the keys of SNIP_API_KEYS in the registry (the tables exist by now)."""
        now = clock.now_ts()
        for secret, key in self.api_keys.items():
            record = ApiKeyRecord(
                key_id=local_key_id(secret),
                owner=key.owner,
                scopes=key.scopes,
                created_at=now,
                name=SEEDED_NAME,
                secret_sha256=secret_sha256(secret),
            )
            self.registry.put(record, replace=True)

    def key_id_of(self, secret: str | None) -> str | None:
        """The id of the live key with this secret, or None (API Gateway's 403 Forbidden)."""
        if not secret:
            return None
        record = self.registry.get(local_key_id(secret))
        if record is None or record.revoked_at or record.secret_sha256 != secret_sha256(secret):
            return None
        return record.key_id

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
            try:
                key_id = self.key_id_of(secret)
            except DependencyUnavailable as exc:  # the registry could not be read: API Gateway's 5xx
                log.error("API key lookup failed: %s", exc)
                return _own(INTEGRATION_FAILED), "-"
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
        self._gateway = gateway
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", port, gateway, threaded=True, request_handler=_Handler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="gateway", daemon=True)

    def start(self) -> None:
        self._gateway.seed_keys()  # before the first request, after the tables were created
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
