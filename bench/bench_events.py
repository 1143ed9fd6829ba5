"""The events the benchmarks send: REST API (payload 1.0) proxy events, and the Function URL
(payload 2.0) events the front door's distribution sends resolve, both built by the service tests'
helpers."""

from __future__ import annotations

import json
from typing import Any

from tests.service import lambda_events
from tests.service.lambda_events import rest_event

BENCH_URL = "https://example.com/bench/a/reasonably/long/path?with=query&and=more"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
# A CloudFront request id (56 characters), for a visit event's size (part 8).
CLOUDFRONT_ID = "Lp3QxY8v2nB0kR7tZ1mWc4eH6jA9sD5fG2hJ8kL0qW3eR5tY7uI9oA=="


def get_event(key: str) -> dict[str, Any]:
    _, event = rest_event("GET", f"/{key}", api_key_id=None, headers={"User-Agent": "Mozilla/5.0 bench"})
    return event


def function_url_event(key: str) -> dict[str, Any]:
    """GET /{key} as resolve's Function URL receives it from the distribution (payload format
    2.0), from a desktop Chrome with a Referer, in the US; a fresh X-Amz-Cf-Id, so a new visit."""
    headers = {
        "User-Agent": CHROME,
        "Referer": "https://news.example.com/today",
        "Accept-Language": "en-US,en;q=0.9",
        "CloudFront-Viewer-Country": "US",
    }
    return lambda_events.function_url_event("GET", f"/{key}", headers=headers)


def post_event(url: str = BENCH_URL, idempotency_key: str | None = None) -> dict[str, Any]:
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
    _, event = rest_event("POST", "/links", body={"url": url}, headers=headers, api_key_id="bench-key-id")
    return event


def as_json(event: dict[str, Any]) -> str:
    return json.dumps(event)
