"""The events the benchmarks send: REST API (payload v1) proxy events, built by the service tests'
helper, and the Function URL (payload 2.0) event the front door's distribution sends resolve."""

from __future__ import annotations

import json
from typing import Any

from tests.service.lambda_events import rest_event

BENCH_URL = "https://example.com/bench/a/reasonably/long/path?with=query&and=more"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
# A Function URL's host (its id is 32 characters) and a CloudFront request id (56 characters):
# the shapes of what CloudFront sends through its origin access control.
FUNCTION_URL_HOST = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws"
CLOUDFRONT_ID = "Lp3QxY8v2nB0kR7tZ1mWc4eH6jA9sD5fG2hJ8kL0qW3eR5tY7uI9oA=="


def get_event(key: str) -> dict[str, Any]:
    _, event = rest_event("GET", f"/{key}", api_key_id=None, headers={"User-Agent": "Mozilla/5.0 bench"})
    return event


def function_url_event(key: str, method: str = "GET") -> dict[str, Any]:
    """GET /{key} as resolve's Function URL receives it from the distribution (payload format
    2.0, ``AWS_IAM`` auth signed by the origin access control): the headers the origin request
    policy forwards (viewer country, User-Agent, Referer, Accept-Language), the ones CloudFront
    adds (its request id, Via, X-Forwarded-For) and the Function URL's own Host."""
    headers = {
        "host": FUNCTION_URL_HOST,
        "user-agent": CHROME,
        "referer": "https://news.example.com/today",
        "accept-language": "en-US,en;q=0.9",
        "cloudfront-viewer-country": "US",
        "x-amz-cf-id": CLOUDFRONT_ID,
        "via": "2.0 0123456789abcdef0123456789abcdef.cloudfront.net (CloudFront)",
        "x-forwarded-for": "203.0.113.9",
        "x-forwarded-proto": "https",
        "x-forwarded-port": "443",
        "x-amzn-trace-id": "Root=1-6755f0a0-0123456789abcdef01234567",
    }
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": f"/{key}",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": FUNCTION_URL_HOST.split(".")[0],
            "authorizer": {
                "iam": {
                    "accessKey": "ASIAEXAMPLEEXAMPLE00",
                    "accountId": "123456789012",
                    "callerId": "AROAEXAMPLEEXAMPLE000:cloudfront",
                    "cognitoIdentity": None,
                    "principalOrgId": None,
                    "userArn": "arn:aws:sts::123456789012:assumed-role/cloudfront/cloudfront",
                    "userId": "AROAEXAMPLEEXAMPLE000:cloudfront",
                }
            },
            "domainName": FUNCTION_URL_HOST,
            "domainPrefix": FUNCTION_URL_HOST.split(".")[0],
            "http": {
                "method": method,
                "path": f"/{key}",
                "protocol": "HTTP/1.1",
                "sourceIp": "130.176.0.1",  # a CloudFront edge, not the viewer
                "userAgent": CHROME,  # the viewer's, forwarded by the origin request policy
            },
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "routeKey": "$default",
            "stage": "$default",
            "time": "07/Dec/2026:06:00:00 +0000",
            "timeEpoch": 1_796_536_800_000,
        },
        "isBase64Encoded": False,
    }


def post_event(url: str = BENCH_URL, idempotency_key: str | None = None) -> dict[str, Any]:
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
    _, event = rest_event("POST", "/links", body={"url": url}, headers=headers, api_key_id="bench-key-id")
    return event


def as_json(event: dict[str, Any]) -> str:
    return json.dumps(event)
