"""GET /links/{key}/stats on the local stack: the visit pipeline end to end (CONTRACT §2, §4).

Two ways in. Until resolve writes visit events (the w-resolve branch), the tests marked
``from_events`` put the events themselves, exactly as resolve will (``VisitEvent.to_item``, a
conditional put into the visits table through the local DynamoDB endpoint): the stream, the
poller, the aggregator, the rollups and the route are all real. The tests marked
``over_redirects`` send real redirects and are skipped while the stack's resolve writes no event
(they need the resolve merge); after it they run as they are.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from snip.domain.visit_events import VisitEvent
from snip.settings import DEFAULT_TABLES, Env
from tests.e2e.stacks import Stack
from tests.visits import (
    CHROME_ANDROID_TABLET,
    CHROME_WINDOWS,
    FIREFOX_LINUX,
    SAFARI_IPHONE,
    SLACKBOT,
    put_events,
)

VISITS = DEFAULT_TABLES[Env.VISITS_TABLE]
COUNTRY = "CloudFront-Viewer-Country"
LAG_GOAL = 5.0  # CONTRACT §2: a visit is in stats within 5 s locally


def create(stack: Stack, **fields: Any) -> str:
    body = {"url": "https://example.com/stats", **fields}
    created = requests.post(f"{stack.base_url}/links", json=body, headers=stack.headers(), timeout=30)
    assert created.status_code == 201, created.text
    return str(created.json()["key"])


def stats(stack: Stack, key: str, key_id: str = "local", **params: str) -> requests.Response:
    return requests.get(
        f"{stack.base_url}/links/{key}/stats", params=params, headers=stack.headers(key_id), timeout=30
    )


def now_at() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def wait_for(
    stack: Stack, key: str, done: Callable[[dict[str, Any]], bool], limit: float = 20.0
) -> tuple[dict[str, Any], float]:
    """Poll the stats until ``done``; returns the answer and how long it took."""
    began = time.monotonic()
    while True:
        answer = stats(stack, key).json()
        if done(answer) or time.monotonic() - began > limit:
            return answer, time.monotonic() - began
        time.sleep(0.1)


def event(key: str, **fields: Any) -> VisitEvent:
    base = {
        "id": str(uuid.uuid4()),
        "at": now_at(),
        "key": key,
        "owner": "local",
        "bot": False,
        "referrer": "(direct)",
        "country": "(unknown)",
        "user_agent": CHROME_WINDOWS,
        "source": "link",
        "expires": int(time.time()) + 7 * 86_400,
    }
    return VisitEvent(**{**base, **fields})


# A known mix: (count, fields).
MIX: list[tuple[int, dict[str, Any]]] = [
    (5, {"user_agent": CHROME_WINDOWS, "referrer": "news.example.com", "country": "DE"}),
    (4, {"user_agent": SAFARI_IPHONE, "country": "FR", "source": "qr"}),
    (2, {"user_agent": FIREFOX_LINUX, "referrer": "blog.example.org", "country": "DE"}),
    (1, {"user_agent": CHROME_ANDROID_TABLET}),
    (3, {"user_agent": SLACKBOT, "bot": True, "referrer": "slack.com"}),
]


def check_mix(answer: dict[str, Any]) -> None:
    assert answer["total"] == {"visits": 12, "bot_visits": 3}
    assert answer["referrers"] == [
        {"value": "news.example.com", "visits": 5},
        {"value": "(direct)", "visits": 5},
        {"value": "blog.example.org", "visits": 2},
    ] or answer["referrers"] == [
        {"value": "(direct)", "visits": 5},
        {"value": "news.example.com", "visits": 5},
        {"value": "blog.example.org", "visits": 2},
    ]
    assert answer["countries"] == [
        {"value": "DE", "visits": 7},
        {"value": "FR", "visits": 4},
        {"value": "(unknown)", "visits": 1},
    ]
    assert answer["devices"] == [
        {"value": "desktop", "visits": 7},
        {"value": "mobile", "visits": 4},
        {"value": "tablet", "visits": 1},
    ]
    assert {row["value"]: row["visits"] for row in answer["browsers"]} == {
        "Chrome": 6,
        "Mobile Safari": 4,
        "Firefox": 2,
    }
    assert {row["value"]: row["visits"] for row in answer["os"]} == {
        "Windows": 5,
        "iOS": 4,
        "Ubuntu": 2,
        "Android": 1,
    }
    assert answer["sources"] == [{"value": "link", "visits": 8}, {"value": "qr", "visits": 4}]


def events_folder(stack: Stack) -> Path:
    found = re.search(r"visit events\s+(\S+)/dt=", stack.log())
    assert found, "the banner names the events folder"
    return Path(found.group(1))


# -- from events (no resolve merge needed) ---------------------------------------------------
def test_from_events_a_known_mix_gives_exact_totals_and_breakdowns(stack: Stack) -> None:
    key = create(stack)
    events = [event(key, **fields) for count, fields in MIX for _ in range(count)]
    put_events(stack.dynamodb(), VISITS, events)
    answer, took = wait_for(stack, key, lambda a: a["total"]["visits"] + a["total"]["bot_visits"] >= 15)
    check_mix(answer)
    assert took <= LAG_GOAL, f"stats took {took:.1f} s"
    link = requests.get(f"{stack.base_url}/links/{key}", headers=stack.headers(), timeout=30).json()
    assert (link["visits"], link["bot_visits"]) == (12, 3)
    assert link["last_visit_at"] is not None
    # The raw events, as JSON Lines under the folder the banner printed: no user agent, no IP.
    day = events[0].at[:10]
    lines = [
        json.loads(line)
        for path in (events_folder(stack) / f"dt={day}").glob("*.jsonl")
        for line in path.read_text().splitlines()
    ]
    mine = {line["id"]: line for line in lines if line["key"] == key}
    assert set(mine) == {e.id for e in events}
    assert sorted(mine[events[0].id]) == sorted(
        [
            "id",
            "at",
            "key",
            "owner",
            "bot",
            "referrer",
            "country",
            "device",
            "browser",
            "os",
            "source",
            "destination",
        ]
    )


def test_from_events_a_burst_of_concurrent_events_is_counted_exactly(stack: Stack) -> None:
    key = create(stack)
    client = stack.dynamodb()
    batches = [[event(key, country="NL") for _ in range(25)] for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda batch: put_events(client, VISITS, batch), batches))
    answer, _ = wait_for(stack, key, lambda a: a["total"]["visits"] >= 200)
    time.sleep(1.0)  # and nothing more arrives later
    assert stats(stack, key).json()["total"] == {"visits": 200, "bot_visits": 0}
    assert answer["countries"] == [{"value": "NL", "visits": 200}]


def test_from_events_a_repeated_put_is_no_second_visit(stack: Stack) -> None:
    key = create(stack)
    once = event(key)
    put_events(stack.dynamodb(), VISITS, [once])
    with pytest.raises(Exception, match="ConditionalCheckFailed"):
        put_events(stack.dynamodb(), VISITS, [once])
    wait_for(stack, key, lambda a: a["total"]["visits"] >= 1)
    time.sleep(0.5)
    assert stats(stack, key).json()["total"]["visits"] == 1


# -- the route's own rules --------------------------------------------------------------------
def test_every_bucket_of_the_range_is_answered(stack: Stack) -> None:
    key = create(stack)
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(hours=5, minutes=30)
    answer = stats(stack, key, interval="hour", **{"from": start.isoformat(), "to": end.isoformat()}).json()
    assert answer["interval"] == "hour"
    assert len(answer["series"]) in (6, 7)
    assert all(row["visits"] == 0 and row["bot_visits"] == 0 for row in answer["series"])
    default = stats(stack, key).json()
    assert default["interval"] == "day"
    assert len(default["series"]) == 31
    assert set(default) >= {"key", "from", "to", "as_of", "total", "referrers", "countries", "devices"}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"interval": "minute"}, "invalid_interval"),
        ({"from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z"}, "invalid_range"),
        ({"from": "2020-01-01T00:00:00Z", "to": "2030-01-01T00:00:00Z"}, "invalid_range"),
        ({"from": "2030-01-01T00:00:00Z", "to": "2030-03-01T00:00:00Z", "interval": "hour"}, "invalid_range"),
    ],
)
def test_bad_ranges_and_intervals(stack: Stack, params: dict[str, str], code: str) -> None:
    key = create(stack)
    answer = stats(stack, key, **params)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == code


def test_stats_are_the_owners_only(stack: Stack) -> None:
    key = create(stack)
    assert stats(stack, key, key_id="other").status_code == 404
    assert stats(stack, "NoSuchKey").status_code == 404
    assert requests.get(f"{stack.base_url}/links/{key}/stats", timeout=30).status_code == 403


# -- over real redirects (need the resolve merge) -------------------------------------------
def resolve_writes_events(stack: Stack) -> bool:
    key = create(stack)
    requests.get(f"{stack.base_url}/{key}", allow_redirects=False, timeout=30)
    found = stack.dynamodb().scan(
        TableName=VISITS,
        FilterExpression="#k = :k",
        ExpressionAttributeNames={"#k": "key"},
        ExpressionAttributeValues={":k": {"S": key}},
    )
    return bool(found["Items"])


@pytest.fixture
def over_redirects(stack: Stack) -> Stack:
    if not resolve_writes_events(stack):
        pytest.skip("resolve writes no visit events yet: needs the w-resolve merge")
    return stack


REQUESTS: list[tuple[int, dict[str, str], bool]] = [  # (count, headers, QR scan)
    (5, {"User-Agent": CHROME_WINDOWS, "Referer": "https://news.example.com/a?b=c", COUNTRY: "DE"}, False),
    (4, {"User-Agent": SAFARI_IPHONE, COUNTRY: "FR"}, True),
    (2, {"User-Agent": FIREFOX_LINUX, "Referer": "https://blog.example.org/x", COUNTRY: "de"}, False),
    (1, {"User-Agent": CHROME_ANDROID_TABLET}, False),
    (3, {"User-Agent": SLACKBOT, "Referer": "https://slack.com/"}, False),
]  # fmt: skip


def test_over_redirects_a_known_mix_gives_exact_stats(over_redirects: Stack) -> None:
    stack = over_redirects
    key = create(stack)
    for count, headers, qr in REQUESTS:
        for _ in range(count):
            url = f"{stack.base_url}/{key}" + ("?qr=1" if qr else "")
            assert requests.get(url, headers=headers, allow_redirects=False, timeout=30).status_code == 302
    answer, took = wait_for(stack, key, lambda a: a["total"]["visits"] + a["total"]["bot_visits"] >= 15)
    check_mix(answer)
    assert took <= LAG_GOAL


def test_over_redirects_a_burst_is_counted_exactly(over_redirects: Stack) -> None:
    stack = over_redirects
    key = create(stack)

    def visit_many(_: int) -> int:
        session = requests.Session()
        return sum(
            session.get(f"{stack.base_url}/{key}", allow_redirects=False, timeout=30).status_code == 302
            for _ in range(25)
        )

    with ThreadPoolExecutor(8) as pool:
        served = sum(pool.map(visit_many, range(8)))
    wait_for(stack, key, lambda a: a["total"]["visits"] >= served)
    time.sleep(1.0)
    assert stats(stack, key).json()["total"]["visits"] == served == 200


def test_over_redirects_a_max_visits_link_is_in_its_stats_once(over_redirects: Stack) -> None:
    """A max_visits link counts each redirect on its own item and writes it as an event
    (counted=True): the rollups get every redirect, the link's counts are not doubled by the
    aggregator, and a 410 is in neither."""
    stack = over_redirects
    key = create(stack, max_visits=12)  # the mix's people; its bots never spend max_visits
    for count, headers, qr in reversed(REQUESTS):  # the bots first, while the link is live
        for _ in range(count):
            url = f"{stack.base_url}/{key}" + ("?qr=1" if qr else "")
            assert requests.get(url, headers=headers, allow_redirects=False, timeout=30).status_code == 302
    over = requests.get(f"{stack.base_url}/{key}", headers=REQUESTS[0][1], allow_redirects=False, timeout=30)
    assert over.status_code == 410
    answer, took = wait_for(stack, key, lambda a: a["total"]["visits"] + a["total"]["bot_visits"] >= 15)
    check_mix(answer)
    assert took <= LAG_GOAL
    time.sleep(1.0)  # the aggregator has seen every event: nothing more arrives, nothing doubles
    assert stats(stack, key).json()["total"] == {"visits": 12, "bot_visits": 3}
    link = requests.get(f"{stack.base_url}/links/{key}", headers=stack.headers(), timeout=30).json()
    assert (link["visits"], link["bot_visits"]) == (12, 3)
    events = stack.dynamodb().scan(
        TableName=VISITS,
        FilterExpression="#k = :k",
        ExpressionAttributeNames={"#k": "key"},
        ExpressionAttributeValues={":k": {"S": key}},
        ConsistentRead=True,
    )["Items"]
    assert len(events) == 15
    assert all(VisitEvent.from_item(item).counted for item in events)
