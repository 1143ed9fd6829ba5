"""Lambda events as the platform sends them: REST API (payload 1.0) proxy events, shaped as API
Gateway builds them, and Function URL (payload 2.0) events, shaped as CloudFront's front door makes
resolve's Function URL build them."""

from __future__ import annotations

import base64
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from snip_deploy.routes import ROUTES, Route

API_ID = "abc123"
API_REGION = "us-east-1"
API_DOMAIN = f"{API_ID}.execute-api.{API_REGION}.amazonaws.com"
FUNCTION_URL_DOMAIN = f"b2x7kzq4mnd3ouvhfa5jypwgre0cilts.lambda-url.{API_REGION}.on.aws"


def _route(method: str, path: str) -> tuple[Route, dict[str, str] | None]:
    """The route API Gateway picks for a request, and its path parameters."""
    # API Gateway prefers literal path segments over {key}.
    ranked = sorted(ROUTES, key=lambda r: r.path.count("{"))
    for route in ranked:
        pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", route.path) + "$"
        found = re.match(pattern, path)
        if found and route.method == method:
            return route, found.groupdict() or None
    raise LookupError(f"no route for {method} {path}")


def _match(method: str, path: str) -> tuple[str, str, dict[str, str] | None]:
    """(function, resource, path parameters) for a request, as API Gateway routes it."""
    route, params = _route(method, path)
    return route.function.name, route.path, params


def needs_api_key(method: str, path: str) -> bool:
    """Whether API Gateway answers 403 itself to this request without an API key."""
    return _route(method, path.partition("?")[0])[0].api_key_required


def rest_event(
    method: str,
    path: str,
    *,
    body: str | dict[str, Any] | list[Any] | None = None,
    headers: dict[str, str] | None = None,
    api_key_id: str | None = "owner-a",
    domain: str = API_DOMAIN,
    query: dict[str, str] | None = None,
    base64_body: bool = False,
) -> tuple[str, dict[str, Any]]:
    """The function a request goes to, and the event it receives.

    ``domain`` is the host the client called: the execute-api host (the path in the request
    context then starts with the stage), or a custom domain whose base path mapping hides it.
    """
    path, _, query_string = path.partition("?")
    query = {**dict(parse_qsl(query_string, keep_blank_values=True)), **(query or {})} or None
    function, resource, params = _match(method, path)
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    all_headers = {"Host": domain, "User-Agent": "pytest", "Accept": "*/*"}
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    all_headers = {k: v for k, v in all_headers.items() if v is not None}
    request_id = str(uuid.uuid4())
    event = {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": params,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/prod{path}" if domain == API_DOMAIN else path,
            "stage": "prod",
            "requestId": request_id,
            "extendedRequestId": request_id,
            "domainName": domain,
            "domainPrefix": domain.split(".")[0],
            "apiId": API_ID,
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "requestTimeEpoch": 1_700_000_000_000,
            "identity": {
                "sourceIp": "203.0.113.9",
                "userAgent": all_headers.get("User-Agent"),
                "apiKey": f"secret-{api_key_id}" if api_key_id else None,
                "apiKeyId": api_key_id,
            },
        },
        # API Gateway's binary media types "*/*" (snip_deploy.routes): bodies arrive base64-encoded.
        "body": base64.b64encode(body.encode()).decode() if base64_body and body is not None else body,
        "isBase64Encoded": base64_body and body is not None,
    }
    return function, event


def cloudfront_id() -> str:
    """A fresh X-Amz-Cf-Id: 56 characters of base64url, as CloudFront's ids look."""
    return secrets.token_urlsafe(42)


def function_url_event(
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    cf_id: str | None = None,
) -> dict[str, Any]:
    """The event resolve's Function URL gets for a viewer's request through the distribution.

    The origin request policy forwards User-Agent, Referer, Accept-Language, Accept,
    CloudFront-Viewer-Country, the query string and the cookie snip_vid, never Host; CloudFront
    adds its X-Amz-Cf-Id (``cf_id``, a fresh one unless given) and its own X-Forwarded-For, the
    Function URL lower-cases every header name and names its own host.
    """
    raw_path, _, raw_query = path.partition("?")
    sent = {"User-Agent": "pytest", "Accept": "*/*", **(headers or {})}
    all_headers = {name.lower(): value for name, value in sent.items() if value is not None}
    cookies = [part.strip() for part in all_headers.pop("cookie", "").split(";") if part.strip()]
    all_headers |= {
        "host": FUNCTION_URL_DOMAIN,
        "x-amz-cf-id": cf_id or cloudfront_id(),
        "x-forwarded-for": "203.0.113.9",
        "x-forwarded-proto": "https",
        "x-forwarded-port": "443",
        "via": "2.0 0123456789abcdef0123456789abcdef.cloudfront.net (CloudFront)",
        "x-amzn-trace-id": "Root=1-67890abc-0123456789abcdef01234567",
    }
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    request_id = str(uuid.uuid4())
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": all_headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": FUNCTION_URL_DOMAIN.split(".")[0],
            "domainName": FUNCTION_URL_DOMAIN,
            "domainPrefix": FUNCTION_URL_DOMAIN.split(".")[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "130.176.0.1",  # a CloudFront edge's address, not the viewer's
                "userAgent": all_headers.get("user-agent"),
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": "14/Nov/2023:22:13:20 +0000",
            "timeEpoch": 1_700_000_000_000,
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    if cookies:
        event["cookies"] = cookies
    return event


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str
    is_base64: bool = False

    @property
    def raw(self) -> bytes:
        """The body as the client gets it (API Gateway decodes a base64-encoded answer)."""
        return base64.b64decode(self.body) if self.is_base64 else self.body.encode()

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error_code(self) -> str:
        return str(self.json["error"]["code"])


def to_reply(response: dict[str, Any]) -> Reply:
    headers = dict((response.get("headers") or {}).items())
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers[name] = ",".join(values)
    return Reply(
        response["statusCode"], headers, response.get("body") or "", bool(response.get("isBase64Encoded"))
    )
