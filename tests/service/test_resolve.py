"""GET and HEAD /{key}: redirects, visit counting, 404 vs 410, bots, content negotiation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from snip.domain import clock
from snip.settings import DEFAULT_TABLES, Env
from tests.service.conftest import Call, LambdaContext
from tests.service.lambda_events import rest_event, to_reply
from tests.service.test_links_api import create
from tests.service.visits_table_setup import visit_events

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

pytestmark = pytest.mark.usefixtures("filled_pool")


def get(call: Call, key: str, **headers: str) -> Any:
    return call("GET", f"/{key}", api_key_id=None, headers=headers or None)


@pytest.mark.parametrize(
    ("status", "cache"),
    [
        (301, "public, max-age=3600"),
        (302, "private, no-store"),
        (307, "private, no-store"),
        (308, "public, max-age=3600"),
    ],
)
def test_redirect_status_location_and_cache_control(call: Call, status: int, cache: str) -> None:
    key = create(call, url="https://example.com/target?q=1", redirect_status=status)["key"]
    reply = get(call, key)
    assert reply.status == status
    assert reply.headers["Location"] == "https://example.com/target?q=1"
    assert reply.headers["Cache-Control"] == cache
    assert "shared" not in cache
    assert "no-store" in cache or status in (301, 308)


def test_each_get_writes_one_visit_event_and_leaves_the_link_alone(call: Call, dynamodb: Any) -> None:
    """Visits of a link without max_visits are events; the aggregator counts them later."""
    key = create(call)["key"]
    before = dynamodb.get_item(TableName=LINKS, Key={"key": {"S": key}})["Item"]
    for _ in range(3):
        assert get(call, key).status == 302
    assert [event["key"] for event in visit_events(dynamodb)] == [key] * 3
    assert dynamodb.get_item(TableName=LINKS, Key={"key": {"S": key}})["Item"] == before


def test_max_visits_allows_exactly_n_redirects(call: Call) -> None:
    key = create(call, max_visits=3)["key"]
    statuses = [get(call, key).status for _ in range(6)]
    assert statuses == [302, 302, 302, 410, 410, 410]
    assert call("GET", f"/links/{key}").json["visits"] == 3


SLACK = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"


def test_each_redirect_of_a_max_visits_link_writes_one_counted_event(call: Call, dynamodb: Any) -> None:
    """Counted on the link and written as an event (counted=True: the aggregator adds it to the
    rollups only), together; a 410 and a HEAD write none."""
    key = create(call, max_visits=2)["key"]
    agents = ["Mozilla/5.0", SLACK, "Mozilla/5.0", "Mozilla/5.0", SLACK]
    statuses = [get(call, key, **{"User-Agent": agent}).status for agent in agents]
    assert statuses == [302, 302, 302, 410, 410]  # the bot spent none of the two
    assert call("HEAD", f"/{key}", api_key_id=None).status == 410
    events = visit_events(dynamodb)
    assert sorted((e["key"], e["bot"], e["counted"]) for e in events) == [
        (key, False, True),
        (key, False, True),
        (key, True, True),
    ]
    assert len({e["id"] for e in events}) == 3
    link = call("GET", f"/links/{key}").json
    assert (link["visits"], link["bot_visits"]) == (2, 1)


def test_unknown_key_is_404_json(call: Call) -> None:
    reply = get(call, "Unknown1")
    assert (reply.status, reply.error_code) == (404, "link_not_found")
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.headers["Cache-Control"] == "no-store"


def test_keys_are_case_sensitive(call: Call) -> None:
    create(call, alias="CaseKey")
    assert get(call, "CaseKey").status == 302
    assert get(call, "casekey").status == 404


def test_impossible_key_is_404_without_a_database_request(call: Call, dynamodb: Any) -> None:
    calls: list[str] = []
    from snip.data import clients

    clients.dynamodb().meta.events.register(
        "before-call.dynamodb", lambda **kw: calls.append(kw["model"].name)
    )
    assert get(call, "bad.key%20").status == 404
    assert calls == []


@pytest.mark.parametrize(
    "setup",
    ["deleted", "disabled", "expired", "used_up"],
)
def test_gone_links_are_410(call: Call, dynamodb: Any, setup: str) -> None:
    key = create(call, max_visits=1)["key"]
    if setup == "deleted":
        call("DELETE", f"/links/{key}")
    elif setup == "disabled":
        call("PATCH", f"/links/{key}", body={"disabled": True})
    elif setup == "expired":  # expiry passes: write a past instant straight into the table
        dynamodb.update_item(
            TableName=LINKS,
            Key={"key": {"S": key}},
            UpdateExpression="SET expires_at = :past",
            ExpressionAttributeValues={":past": {"S": "2000-01-01T00:00:00Z"}},
        )
    else:
        get(call, key)
    reply = get(call, key)
    assert (reply.status, reply.error_code) == (410, "link_gone")
    head = call("HEAD", f"/{key}", api_key_id=None)
    assert head.status == 410


def test_browsers_get_an_html_error_page(call: Call) -> None:
    reply = get(call, "Missing1", Accept=BROWSER_ACCEPT)
    assert reply.status == 404
    assert reply.headers["Content-Type"].startswith("text/html")
    assert "<h1>Link not found</h1>" in reply.body
    key = create(call, max_visits=1)["key"]
    get(call, key)
    gone = get(call, key, Accept=BROWSER_ACCEPT)
    assert gone.status == 410
    assert "<h1>Link no longer active</h1>" in gone.body


def test_json_when_json_is_preferred(call: Call) -> None:
    reply = get(call, "Missing1", Accept="application/json, text/html;q=0.5")
    assert reply.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "agent",
    [
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Twitterbot/1.0",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "WhatsApp/2.23.20.0",
        "TelegramBot (like TwitterBot)",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    ],
)
def test_preview_bots_are_redirected_but_never_spend_max_visits(call: Call, agent: str) -> None:
    key = create(call, max_visits=1)["key"]
    for _ in range(3):
        assert get(call, key, **{"User-Agent": agent}).status == 302
    link = call("GET", f"/links/{key}").json
    assert (link["visits"], link["bot_visits"]) == (0, 3)
    assert get(call, key).status == 302  # the one human visit is still there
    assert get(call, key).status == 410


SNAPCHAT_BROWSER = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 Snapchat/13.2.0.42 (like Safari/8617.1.17.10.9, panda)"
)


def test_an_in_app_browser_spends_a_one_time_link(call: Call) -> None:
    """A person opening the link in Snapchat's browser is a visit, not a preview."""
    key = create(call, max_visits=1)["key"]
    assert get(call, key, **{"User-Agent": SNAPCHAT_BROWSER}).status == 302
    assert get(call, key, **{"User-Agent": SNAPCHAT_BROWSER}).status == 410
    link = call("GET", f"/links/{key}").json
    assert (link["visits"], link["bot_visits"]) == (1, 0)


def test_an_expiry_a_fraction_of_a_second_ahead_is_not_born_expired(
    call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime(2030, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC)
    monkeypatch.setattr(clock, "utcnow", lambda: now)
    link = create(call, expires_at="2030-01-01T00:00:00.800Z")
    assert link["expires_at"] == "2030-01-01T00:00:01Z"
    assert get(call, link["key"]).status == 302


def test_head_answers_like_get_and_counts_nothing(call: Call) -> None:
    key = create(call, max_visits=1, redirect_status=307)["key"]
    for _ in range(3):
        head = call("HEAD", f"/{key}", api_key_id=None)
        assert head.status == 307
        assert head.headers["Location"] == "https://example.com/page"
    assert call("GET", f"/links/{key}").json["visits"] == 0
    assert call("HEAD", "/Nothing1", api_key_id=None).status == 404


def test_requests_per_redirect_cold_and_warm(call: Call, requests_made: list[str]) -> None:
    """A plain link: GetItem + the event's PutItem cold, the PutItem alone from memory; HEAD
    reads what GET has not; a max_visits link, never judged from memory: a read of the link and
    one transaction (its count and its event); its HEAD reads the link and its count."""
    key = create(call)["key"]
    limited = create(call, max_visits=100)["key"]
    requests_made.clear()
    get(call, key)
    assert requests_made == ["GetItem", "PutItem"]
    requests_made.clear()
    get(call, key)
    assert requests_made == ["PutItem"]
    requests_made.clear()
    call("HEAD", f"/{key}", api_key_id=None)
    assert requests_made == []
    requests_made.clear()
    get(call, limited)
    assert requests_made == ["GetItem", "TransactWriteItems"]
    requests_made.clear()
    get(call, limited)
    assert requests_made == ["GetItem", "TransactWriteItems"]  # never answered from memory
    requests_made.clear()
    call("HEAD", f"/{limited}", api_key_id=None)
    assert requests_made == ["GetItem", "GetItem"]


def test_a_visit_is_recorded_under_api_gateways_request_id(
    call: Call, handlers: dict[str, Any], dynamodb: Any
) -> None:
    """API Gateway's requestId names the visit; Lambda's request id stands in when it is absent."""
    key = create(call)["key"]
    _, event = rest_event("GET", f"/{key}", api_key_id=None)
    gateway_id = event["requestContext"]["requestId"]
    assert to_reply(handlers["resolve"](event, LambdaContext())).status == 302
    del event["requestContext"]["requestId"]
    assert to_reply(handlers["resolve"](event, LambdaContext())).status == 302
    ids = sorted(e["id"] for e in visit_events(dynamodb))
    assert ids == sorted([gateway_id, LambdaContext.aws_request_id])
