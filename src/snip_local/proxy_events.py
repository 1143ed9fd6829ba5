"""REST API (payload format 1.0) Lambda proxy integration: the event API Gateway builds, and how it reads
the function's answer back (a malformed answer is API Gateway's 502)."""

from __future__ import annotations

import base64
import binascii
import fnmatch
import time
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from snip_local.local_config import ACCOUNT_ID, API_ID, STAGE

RESPONSE_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
# Framing headers are the gateway's business, not the function's.
HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "keep-alive"}


@dataclass(frozen=True)
class Caller:
    source_ip: str
    api_key: str | None  # the secret, when the method requires a key
    api_key_id: str | None


def _single_and_multi(
    pairs: list[tuple[str, str]],
) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    """API Gateway's two views of repeated names: the last value, and all values in order."""
    if not pairs:
        return None, None
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        multi.setdefault(name, []).append(value)
    return {name: values[-1] for name, values in multi.items()}, multi


def build_event(
    *,
    method: str,
    path: str,
    query_string: str,
    headers: list[tuple[str, str]],
    body: bytes,
    resource: str,
    path_parameters: dict[str, str],
    caller: Caller,
    request_id: str,
    binary_media_types: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The event API Gateway hands a Lambda proxy integration (REST API, payload format 1.0).

    A body whose Content-Type matches one of the API's ``binary_media_types`` arrives
    base64-encoded, as any body that is not UTF-8 does."""
    now = time.time()
    host = next((v for k, v in headers if k.lower() == "host"), "127.0.0.1")
    user_agent = next((v for k, v in headers if k.lower() == "user-agent"), None)
    trace_id = f"Root=1-{int(now):08x}-{request_id.replace('-', '')[:24]}"
    headers = [
        *headers,
        ("X-Amzn-Trace-Id", trace_id),
        ("X-Forwarded-For", caller.source_ip),
        ("X-Forwarded-Port", host.rpartition(":")[2] if ":" in host else "80"),
        ("X-Forwarded-Proto", "http"),
    ]
    single_headers, multi_headers = _single_and_multi(headers)
    query, multi_query = _single_and_multi(parse_qsl(query_string, keep_blank_values=True))
    media = next((v for k, v in headers if k.lower() == "content-type"), "").split(";")[0].strip().lower()
    is_base64 = bool(media) and any(fnmatch.fnmatchcase(media, p) for p in binary_media_types)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        is_base64 = True
    if is_base64:
        text = base64.b64encode(body).decode("ascii")
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": single_headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": format(zlib.crc32(resource.encode()), "08x")[:6],
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": request_id[:16],
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": path,
            "accountId": ACCOUNT_ID,
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainPrefix": host.split(".")[0].split(":")[0],
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": caller.source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": user_agent,
                "user": None,
                "apiKey": caller.api_key,
                "apiKeyId": caller.api_key_id,
            },
            "domainName": host,
            "deploymentId": "local",
            "apiId": API_ID,
        },
        "body": text if body else None,
        "isBase64Encoded": is_base64 and bool(body),
    }


class MalformedResponse(ValueError):
    """API Gateway: "Execution failed due to configuration error: Malformed Lambda proxy response"."""


@dataclass(frozen=True)
class ProxyResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _scalar(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedResponse(f"{where}: {type(value).__name__} is not a header value")


def parse_response(result: Any) -> ProxyResponse:
    """Read a function's answer the way API Gateway does, or raise MalformedResponse."""
    if not isinstance(result, dict):
        raise MalformedResponse(f"the response is a {type(result).__name__}, not an object")
    unknown = set(result) - RESPONSE_KEYS
    if unknown:
        raise MalformedResponse(f"unknown response fields {sorted(unknown)}")
    status = result.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise MalformedResponse(f"statusCode {status!r} is not an HTTP status")
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise MalformedResponse("headers and multiValueHeaders must be objects")
    headers: list[tuple[str, str]] = []
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedResponse(f"multiValueHeaders[{name!r}] is not a list")
        headers.extend((name, _scalar(v, f"multiValueHeaders[{name!r}]")) for v in values)
    # Both maps merge into one list; a pair present in both appears once (multiValueHeaders wins).
    seen = {(name.lower(), value) for name, value in headers}
    for name, value in single.items():
        text = _scalar(value, f"headers[{name!r}]")
        if (name.lower(), text) not in seen:
            headers.append((name, text))
    headers = [(n, v) for n, v in headers if n.lower() not in HOP_BY_HOP]
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        raise MalformedResponse(f"body is a {type(body).__name__}, not a string")
    is_base64 = result.get("isBase64Encoded", False)
    if not isinstance(is_base64, bool):
        raise MalformedResponse("isBase64Encoded is not a boolean")
    try:
        raw = base64.b64decode(body or "", validate=True) if is_base64 else (body or "").encode()
    except binascii.Error as exc:
        raise MalformedResponse("body is not valid base64") from exc
    return ProxyResponse(status=status, headers=headers, body=raw)
