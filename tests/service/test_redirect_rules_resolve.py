"""resolve with redirect rules and a split (CONTRACT §2, "Redirect rules"): the destination each
visitor gets, from the link as read today and the request alone; the snip_vid cookie; what a visit
event records; and the stats' destinations, counted exactly once."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from snip.data.rollups_table import RollupsTable
from snip.data.visit_archive import NoArchive
from snip.domain.redirect_rules import SplitTarget, split_variant
from snip.domain.visit_events import VisitEvent
from snip.operations.visit_counting import aggregate
from snip.settings import DEFAULT_TABLES, Env
from snip_local import moto_transactions
from tests.service.conftest import Call, LambdaContext
from tests.service.lambda_events import Reply, function_url_event, rest_event, to_reply
from tests.service.test_resolve_events import classify
from tests.service.visits_table_setup import VISITS, visit_events
from tests.user_agent_corpus import CORPUS
from tests.visits import SLACKBOT, stream_record

pytestmark = pytest.mark.usefixtures("filled_pool")

IPHONE = next(agent for device, agent in CORPUS if device == "mobile" and "iPhone" in agent)
ANDROID_TABLET = next(agent for device, agent in CORPUS if device == "tablet" and "Android" in agent)
WINDOWS = CORPUS[0][1]
APP_STORE = "https://apps.apple.com/app/x"
RULES = [
    {"when": {"country": ["DE", "AT"]}, "url": "https://example.com/de"},
    {"when": {"device": ["mobile"], "os": ["ios"]}, "url": "https://apps.apple.com/app/x"},
    {"when": {"device": ["tablet"]}, "url": "https://example.com/tablet"},
    {"when": {"language": ["fr"]}, "url": "https://example.com/fr"},
    {"when": {"query": {"src": "mail box"}}, "url": "https://example.com/mail?from=1"},
]
SPLIT = [{"url": "https://example.com/a", "weight": 30}, {"url": "https://example.com/b", "weight": 70}]
COOKIE = re.compile(r"snip_vid=([A-Za-z0-9_-]{22}); Max-Age=2592000; Path=/; HttpOnly; Secure; SameSite=Lax")
SHARD = "shardId-00000001900000000000-00000001"
Visit = Callable[..., Reply]


@pytest.fixture
def visit(handlers: dict[str, Any]) -> Visit:
    """visit(path, method="GET", rest=False, **headers): resolve's answer through the front door
    (a Function URL event), or on the REST API."""

    def _visit(path: str, method: str = "GET", rest: bool = False, **headers: str) -> Reply:
        sent = {name.replace("_", "-"): value for name, value in headers.items()}
        if rest:
            _, event = rest_event(method, path, api_key_id=None, headers=sent)
        else:
            event = function_url_event(method, path, headers=sent)
        return to_reply(handlers["resolve"](event, LambdaContext()))

    return _visit


def created(call: Call, **body: Any) -> str:
    reply = call("POST", "/links", body={"url": "https://example.com/home", **body})
    assert reply.status == 201, reply.body
    return str(reply.json["key"])


@pytest.mark.parametrize("rest", [False, True], ids=["function-url", "rest"])
@pytest.mark.parametrize(
    ("path", "headers", "location", "why"),
    [
        ("/{key}", {"CloudFront-Viewer-Country": "AT", "User_Agent": IPHONE}, "https://example.com/de", "0"),
        ("/{key}", {"CloudFront-Viewer-Country": "US", "User_Agent": IPHONE}, APP_STORE, "1"),
        ("/{key}", {"User_Agent": ANDROID_TABLET}, "https://example.com/tablet", "2"),
        ("/{key}", {"User_Agent": WINDOWS, "Accept_Language": "de;q=0.4, fr-CH"}, "https://example.com/fr",
         "3"),
        ("/{key}?src=mail%20box&x=1", {"User_Agent": WINDOWS}, "https://example.com/mail?from=1", "4"),
        ("/{key}?src=mail+box&qr=1", {"User_Agent": WINDOWS}, "https://example.com/mail?from=1", "4"),
        ("/{key}?src=Mail%20box", {"User_Agent": WINDOWS}, "https://example.com/home", "default"),
        ("/{key}", {"User_Agent": WINDOWS, "Accept_Language": "*, fr;q=0.5, en;q=0.9"}, "https://example.com/home",
         "default"),
        ("/{key}", {"User_Agent": SLACKBOT, "CloudFront-Viewer-Country": "DE"}, "https://example.com/home",
         "default"),
    ],
)  # fmt: skip
def test_the_first_matching_rule_sends_the_visitor_and_its_event_says_which(
    call: Call,
    visit: Visit,
    dynamodb: Any,
    rest: bool,
    path: str,
    headers: dict[str, str],
    location: str,
    why: str,
) -> None:
    key = created(call, rules=RULES)
    reply = visit(path.format(key=key), rest=rest, **headers)
    assert (reply.status, reply.headers["Location"]) == (302, location)
    assert reply.headers["Cache-Control"] == "private, no-store"
    assert "Set-Cookie" not in reply.headers  # no split: no cookie
    (event,) = visit_events(dynamodb)
    assert event["destination"] == why
    head = visit(path.format(key=key), method="HEAD", rest=rest, **headers)
    assert (head.status, head.headers["Location"]) == (302, location)
    assert len(visit_events(dynamodb)) == 1  # HEAD counts nothing


def test_a_split_sets_the_cookie_once_and_a_visitor_keeps_its_variant(
    call: Call, visit: Visit, dynamodb: Any
) -> None:
    key = created(call, split=SPLIT, redirect_status=307)
    first = visit(f"/{key}", User_Agent=WINDOWS)
    assert first.status == 307
    found = COOKIE.fullmatch(first.headers["Set-Cookie"])
    assert found, first.headers
    visitor = found.group(1)
    targets = tuple(SplitTarget(t["url"], t["weight"]) for t in SPLIT)
    expected = split_variant(targets, key, visitor)
    assert first.headers["Location"] == SPLIT[expected]["url"]
    for _ in range(5):
        again = visit(f"/{key}", User_Agent=WINDOWS, Cookie=f"other=1; snip_vid={visitor}")
        assert again.headers["Location"] == SPLIT[expected]["url"]
        assert "Set-Cookie" not in again.headers
    head = visit(f"/{key}", method="HEAD", User_Agent=WINDOWS, Cookie=f"snip_vid={visitor}")
    assert head.headers["Location"] == SPLIT[expected]["url"]
    assert "Set-Cookie" not in visit(f"/{key}", method="HEAD", User_Agent=WINDOWS).headers
    assert [event["destination"] for event in visit_events(dynamodb)] == [f"split:{expected}"] * 6
    # The REST API reads the same cookie from its Cookie header.
    rest = visit(f"/{key}", rest=True, User_Agent=WINDOWS, Cookie=f"snip_vid={visitor}")
    assert rest.headers["Location"] == SPLIT[expected]["url"]


def test_new_visitors_are_drawn_by_weight(call: Call, visit: Visit) -> None:
    key = created(call, split=SPLIT)
    drawn = Counter(visit(f"/{key}", User_Agent=WINDOWS).headers["Location"] for _ in range(300))
    assert set(drawn) == {SPLIT[0]["url"], SPLIT[1]["url"]}
    assert 50 <= drawn[SPLIT[0]["url"]] <= 130  # 30 % of 300 is 90; this fails about once in 10^6


def test_a_changed_split_draws_anew(
    call: Call, visit: Visit, handlers: dict[str, Any], resolve_clock: Any
) -> None:
    key = created(call, split=SPLIT)
    visitors = [f"visitor-{n:016d}" for n in range(40)]
    before = [visit(f"/{key}", Cookie=f"snip_vid={v}").headers["Location"] for v in visitors]
    changed = [{"url": "https://example.com/a", "weight": 50}, {"url": "https://example.com/b", "weight": 50}]
    assert call("PATCH", f"/links/{key}", body={"split": changed}).status == 200
    resolve_clock.advance(3)  # past what resolve remembers of the link
    after = [visit(f"/{key}", Cookie=f"snip_vid={v}").headers["Location"] for v in visitors]
    targets = tuple(SplitTarget(t["url"], t["weight"]) for t in changed)
    assert after == [changed[split_variant(targets, key, v)]["url"] for v in visitors]
    assert before != after


def test_forward_query_passes_the_query_on_less_qr_to_every_destination(call: Call, visit: Visit) -> None:
    key = created(call, rules=RULES, split=SPLIT, forward_query=True)
    reply = visit(f"/{key}?utm_source=news&qr=1&x=%C3%A9", CloudFront_Viewer_Country="DE")
    assert reply.headers["Location"] == "https://example.com/de?utm_source=news&x=%C3%A9"
    reply = visit(f"/{key}?src=mail%20box&utm_campaign=q3", User_Agent=WINDOWS)
    assert reply.headers["Location"] == "https://example.com/mail?from=1&src=mail%20box&utm_campaign=q3"
    reply = visit(f"/{key}?utm_source=news", User_Agent=SLACKBOT)  # a preview bot: the link's url
    assert reply.headers["Location"] == "https://example.com/home?utm_source=news"
    bare = created(call, forward_query=True, redirect_status=301)
    reply = visit(f"/{bare}?a=1&qr=1")
    assert (reply.status, reply.headers["Location"]) == (301, "https://example.com/home?a=1")
    assert reply.headers["Cache-Control"] == "public, max-age=3600"  # no rules: the status's caching
    plain = created(call)
    assert visit(f"/{plain}?a=1").headers["Location"] == "https://example.com/home"  # not unless asked


def test_disable_expiry_and_max_visits_apply_to_every_destination(call: Call, visit: Visit) -> None:
    limited = created(call, rules=RULES, split=SPLIT, max_visits=2)
    assert (
        visit(f"/{limited}", CloudFront_Viewer_Country="DE").headers["Location"] == "https://example.com/de"
    )
    assert visit(f"/{limited}", User_Agent=WINDOWS).headers["Location"] in {t["url"] for t in SPLIT}
    assert visit(f"/{limited}", CloudFront_Viewer_Country="DE").status == 410
    assert visit(f"/{limited}", User_Agent=WINDOWS).status == 410
    disabled = created(call, rules=RULES, split=SPLIT)
    assert call("PATCH", f"/links/{disabled}", body={"disabled": True}).status == 200
    assert visit(f"/{disabled}", CloudFront_Viewer_Country="DE").status == 410


def test_a_link_with_rules_costs_the_redirect_no_extra_request(
    call: Call, visit: Visit, requests_made: list[str]
) -> None:
    ruled = created(call, rules=RULES, split=SPLIT)
    bare = created(call)
    for key in (ruled, bare):
        requests_made.clear()
        visit(f"/{key}", User_Agent=IPHONE)  # read, then remembered
        visit(f"/{key}", User_Agent=IPHONE)
        assert requests_made == ["GetItem", "PutItem", "PutItem"], key


@pytest.fixture
def count_events(dynamodb: Any) -> Iterator[Callable[..., None]]:
    """count_events(times=1): deliver every visit event to the aggregator as the stream does,
    ``times`` over (a redelivery), and bisected once."""
    moto_transactions.install()
    store = RollupsTable(dynamodb, DEFAULT_TABLES[Env.ROLLUPS_TABLE])

    def _count(times: int = 1) -> None:
        items = dynamodb.scan(TableName=VISITS, ConsistentRead=True)["Items"]
        events = sorted((VisitEvent.from_item(item) for item in items), key=lambda event: event.at)
        records = [stream_record(event, n) for n, event in enumerate(events)]
        for _ in range(times):
            for batch in (records, records[: len(records) // 2], records[len(records) // 2 :]):
                assert aggregate(batch, SHARD, classify, store, NoArchive()).failed == []

    yield _count
    moto_transactions.uninstall()


def test_stats_count_each_destination_once_for_the_rules_and_split_as_they_are_now(
    call: Call, visit: Visit, count_events: Callable[..., None]
) -> None:
    key = created(call, rules=RULES, split=SPLIT)
    visitor_a, visitor_b = "visitor-a-00000000000000", "visitor-b-00000000000000"
    for _ in range(3):
        visit(f"/{key}", CloudFront_Viewer_Country="DE")
    visit(f"/{key}", User_Agent=IPHONE)
    for _ in range(2):
        visit(f"/{key}?src=mail%20box", User_Agent=WINDOWS)
        visit(f"/{key}", User_Agent=WINDOWS, Cookie=f"snip_vid={visitor_a}")
        visit(f"/{key}", User_Agent=WINDOWS, Cookie=f"snip_vid={visitor_b}")
    visit(f"/{key}", User_Agent=SLACKBOT)  # a bot: counted apart, no destination
    count_events(times=2)
    targets = tuple(SplitTarget(t["url"], t["weight"]) for t in SPLIT)
    by_variant = Counter(split_variant(targets, key, v) for v in (visitor_a, visitor_b))
    stats = call("GET", f"/links/{key}/stats").json
    assert stats["total"] == {"visits": 10, "bot_visits": 1}
    assert stats["destinations"] == [
        {"value": "https://example.com/de", "rule": "0", "visits": 3},
        {"value": "https://apps.apple.com/app/x", "rule": "1", "visits": 1},
        {"value": "https://example.com/tablet", "rule": "2", "visits": 0},
        {"value": "https://example.com/fr", "rule": "3", "visits": 0},
        {"value": "https://example.com/mail?from=1", "rule": "4", "visits": 2},
        {"value": "https://example.com/a", "rule": "split:0", "visits": 2 * by_variant[0]},
        {"value": "https://example.com/b", "rule": "split:1", "visits": 2 * by_variant[1]},
        {"value": "https://example.com/home", "rule": "default", "visits": 0},
    ]
    # A rule edited where it stands, sending to the same URL, keeps its visits; the split removed.
    edited = [*RULES[:4], {"when": {"query": {"src": "news"}}, "url": RULES[4]["url"]}]
    assert call("PATCH", f"/links/{key}", body={"rules": edited, "split": []}).status == 200
    shown = call("GET", f"/links/{key}/stats").json["destinations"]
    assert [row["visits"] for row in shown] == [3, 1, 0, 0, 2, 0]
    # Rules as they are now: the country rule removed, the iOS rule is now "0" and starts from zero
    # (never the removed rule's visits); those visits are no one's, not the url's.
    assert call("PATCH", f"/links/{key}", body={"rules": edited[1:]}).status == 200
    shown = call("GET", f"/links/{key}/stats").json["destinations"]
    assert shown[0] == {"value": "https://apps.apple.com/app/x", "rule": "0", "visits": 0}
    assert shown[-1] == {"value": "https://example.com/home", "rule": "default", "visits": 0}


def test_a_link_without_rules_shows_its_url_as_the_one_destination(
    call: Call, visit: Visit, count_events: Callable[..., None]
) -> None:
    key = created(call)
    for _ in range(4):
        visit(f"/{key}", User_Agent=WINDOWS)
    count_events()
    assert call("GET", f"/links/{key}/stats").json["destinations"] == [
        {"value": "https://example.com/home", "rule": "default", "visits": 4}
    ]
