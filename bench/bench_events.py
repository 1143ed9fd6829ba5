"""The events the benchmarks send: REST API (payload v1) proxy events, built by the service tests' helper."""

from __future__ import annotations

import json
from typing import Any

from tests.service.lambda_events import rest_event

BENCH_URL = "https://example.com/bench/a/reasonably/long/path?with=query&and=more"


def get_event(key: str) -> dict[str, Any]:
    _, event = rest_event("GET", f"/{key}", api_key_id=None, headers={"User-Agent": "Mozilla/5.0 bench"})
    return event


def post_event(url: str = BENCH_URL, idempotency_key: str | None = None) -> dict[str, Any]:
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
    _, event = rest_event("POST", "/links", body={"url": url}, headers=headers, api_key_id="bench-key-id")
    return event


def as_json(event: dict[str, Any]) -> str:
    return json.dumps(event)
