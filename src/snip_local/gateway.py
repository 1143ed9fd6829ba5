"""The API Gateway stand-in: one REST API stage on loopback in front of the functions, behind the
CloudFront stand-in that plays the front door (``snip_local.cloudfront_standin``, unless
``SNIP_FRONT_DOOR=off``).

With the front door, a request no API path pattern takes (``GET``/``HEAD /{key}``) goes to resolve
as a Function URL event, without API Gateway's checks (the deployed REST API never sees it);
CloudFront refuses any other method on those paths itself (403), an origin that failed is its
503 page, and every answer carries CloudFront's headers. The rest, and every request without
the front door, is API Gateway's.

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
from snip_deploy.function_specs import CONSOLE, RESOLVE
from snip_deploy.routes import BINARY_MEDIA_TYPES
from snip_local import cloudfront_standin as edge
from snip_local.cloudfront_standin import LocalDistribution
from snip_local.faults import GATEWAY_USER_AGENT
from snip_local.local_config import REGION, LocalApiKey, function_name
from snip_local.local_functions import LocalFunctions, table_names
from snip_local.proxy_events import Caller, MalformedResponse, build_event, parse_response
from snip_local.routing import Router
from snip_local.throttle import Limiter, Verdict
from snip_local.worker_pool import NoCapacity, Outcome

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
# The front door's page for an origin that failed (infra/distribution.py: EDGE_ERROR_PAGE), which
# CloudFront answers with status 503 in place of the origin's 500, 502 or 504.
EDGE_ERROR_PAGE = "/_/edge-503.html"
ORIGIN_FAILURES = (500, 502, 504)
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
        front_door: LocalDistribution | None = None,
    ) -> None:
        self.functions = functions
        self.front_door = front_door  # None: the API-Gateway-only shape, redirects on the REST API
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
        if self.front_door is None:
            response, note = self.api(request, request_id)
        else:
            cf_id = edge.cloudfront_id()
            if self.front_door.goes_to_the_api(request.path):
                response, note = self.api(request, request_id)
            else:
                response, note = self.redirect(request, request_id, cf_id)
                response.headers["x-amzn-RequestId"] = request_id  # the Function URL's
            for name, value in edge.viewer_headers(cf_id):  # every answer passes CloudFront
                response.headers[name] = value
        log.info(
            "%s %s %s %s %.0fms",
            request.method,
            request.full_path.rstrip("?"),
            response.status_code,
            note,
            (time.monotonic() - began) * 1000,
        )
        return response(environ, start_response)

    def api(self, request: Request, request_id: str) -> tuple[Response, str]:
        """The REST API's answer, with API Gateway's own headers."""
        response, note = self.handle(request, request_id)
        response.headers["x-amzn-RequestId"] = request_id
        response.headers["x-amz-apigw-id"] = request_id[:8] + "="
        return response, note

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
        response = _answer(outcome)
        return (response, note) if response is not None else (_own(INTEGRATION_FAILED), note)

    def redirect(self, request: Request, request_id: str, cf_id: str) -> tuple[Response, str]:
        """The front door's default behaviour: resolve's Function URL, GET and HEAD only."""
        if request.method not in edge.REDIRECT_METHODS:
            return Response(edge.METHOD_NOT_ALLOWED, 403, content_type="text/html"), "cloudfront"
        raw_uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path
        event = edge.function_url_event(
            method=request.method,
            raw_path=raw_uri.partition("?")[0],
            raw_query=request.query_string.decode("latin-1"),
            headers=request.environ.get(RAW_HEADERS) or list(request.headers.items()),
            source_ip=request.remote_addr or "127.0.0.1",
            cf_id=cf_id,
            request_id=request_id,
        )
        try:
            outcome = self.functions.pools[function_name(RESOLVE.name)].invoke(event, wait=29.0)
        except NoCapacity:
            return self.edge_error_page(), "resolve busy"
        note = f"{outcome.worker}{' (cold)' if outcome.cold else ''} cf-id={cf_id[:8]}"
        response = _answer(outcome)  # a failed invocation is the Function URL's 502
        if response is None or response.status_code in ORIGIN_FAILURES:
            return self.edge_error_page(), note
        return response, note

    def edge_error_page(self) -> Response:
        """What CloudFront answers for a failed origin: its custom error response, status 503 with
        the console's page (a short text while the console has none)."""
        page = self.router.match("GET", EDGE_ERROR_PAGE)
        body, content_type = b"Snip is unavailable for a moment. Try again shortly.", "text/plain"
        if page is not None and page.target.function == function_name(CONSOLE.name):
            event = build_event(
                method="GET", path=EDGE_ERROR_PAGE, query_string="", headers=[], body=b"",
                resource=page.target.resource, path_parameters=page.path_parameters,
                caller=Caller(source_ip="127.0.0.1", api_key=None, api_key_id=None),
                request_id=str(uuid.uuid4()), binary_media_types=BINARY_MEDIA_TYPES,
            )  # fmt: skip
            try:
                answer = _answer(self.functions.pools[page.target.function].invoke(event, wait=29.0))
            except NoCapacity:
                answer = None
            if answer is not None and answer.status_code == 200:
                body, content_type = answer.get_data(), answer.headers.get("Content-Type", "text/html")
        return Response(body, 503, content_type=content_type)


def _answer(outcome: Outcome) -> Response | None:
    """The function's answer as the client gets it, or None if it failed or is unreadable."""
    if outcome.error is not None:
        error = outcome.error
        log.error("%s failed: %s: %s", outcome.worker, error["errorType"], error["errorMessage"])
        return None
    try:
        proxied = parse_response(outcome.result)
    except MalformedResponse as exc:
        log.error("%s: malformed Lambda proxy response: %s", outcome.worker, exc)
        return None
    response = Response(proxied.body, proxied.status)
    response.headers.clear()
    for name, value in proxied.headers:
        response.headers.add(name, value)
    if "content-type" not in response.headers:
        response.headers["Content-Type"] = "application/json"
    return response


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
