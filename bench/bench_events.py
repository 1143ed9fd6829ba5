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


# A link with 10 redirect rules (warm part 2: "resolve with 10 rules"): every condition kind,
# device and OS rules first so that every visit asks the user-agent table, and conditions most
# visitors miss so that most visits try all ten before the link's url.
TEN_RULES = [
    {"when": {"device": ["tablet"], "os": ["android"]}, "url": "https://example.com/r/android-tablet"},
    {"when": {"os": ["ios"], "language": ["ja"]}, "url": "https://example.com/r/ios-ja"},
    {"when": {"country": ["JP", "KR", "TW"]}, "url": "https://example.com/r/asia"},
    {"when": {"language": ["fr", "it"], "country": ["CH"]}, "url": "https://example.com/r/ch"},
    {"when": {"query": {"src": "mail", "v": "2"}}, "url": "https://example.com/r/mail"},
    {"when": {"device": ["mobile"], "country": ["BR", "AR"]}, "url": "https://example.com/r/latam-mobile"},
    {"when": {"os": ["chromeos"]}, "url": "https://example.com/r/chromebook"},
    {"when": {"language": ["pt", "es"], "device": ["desktop"]}, "url": "https://example.com/r/iberia"},
    {"when": {"country": ["DE", "AT"], "os": ["linux"]}, "url": "https://example.com/r/de-linux"},
    {"when": {"query": {"utm_campaign": "launch"}}, "url": "https://example.com/r/launch"},
]
LANGUAGES = ("en-US,en;q=0.9", "de-DE,de;q=0.8,en;q=0.5", "fr-CH, fr;q=0.9, en;q=0.8", "*", "es;q=0.7, pt")
COUNTRIES = ("US", "DE", "FR", "GB", "IN", "CH")


def rules_events(key: str) -> list[dict[str, Any]]:
    """GET /{key} (REST events, as resolve's warm goal is judged) from the corpus's every real user
    agent, each with its own Accept-Language, country and query: a varied mix, so that no cache
    hides what classifying a user agent and trying ten rules cost."""
    from tests.user_agent_corpus import CORPUS

    events = []
    for n, (_, agent) in enumerate(CORPUS):
        headers = {
            "User-Agent": agent,
            "Accept-Language": LANGUAGES[n % len(LANGUAGES)],
            "CloudFront-Viewer-Country": COUNTRIES[n % len(COUNTRIES)],
        }
        query = {"utm_source": "news", "n": str(n)} if n % 3 else None
        _, event = rest_event("GET", f"/{key}", api_key_id=None, headers=headers, query=query)
        events.append(event)
    return events


def post_event(url: str = BENCH_URL, idempotency_key: str | None = None) -> dict[str, Any]:
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
    _, event = rest_event("POST", "/links", body={"url": url}, headers=headers, api_key_id="bench-key-id")
    return event


def as_json(event: dict[str, Any]) -> str:
    return json.dumps(event)
