"""resolve under both events it is called with: the front door's Function URL events (payload 2.0,
through CloudFront) and the REST API's proxy events (payload 1.0, the API-Gateway-only shape).

Same request, same answer and same visit event, whichever format carried it; a visit through the
front door is named by CloudFront's X-Amz-Cf-Id, so CloudFront retrying its origin counts once.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from snip.data import clients
from snip.data.rollups_table import RollupsTable
from snip.data.visit_archive import NoArchive
from snip.domain import clock
from snip.domain.visit_events import VisitEvent
from snip.operations.visit_counting import aggregate
from snip.settings import DEFAULT_TABLES, Env
from snip_local import moto_transactions
from tests.service import sdk_faults
from tests.service.conftest import Call, LambdaContext, new_instance
from tests.service.lambda_events import Reply, function_url_event, rest_event, to_reply
from tests.service.test_links_api import create
from tests.service.visits_table_setup import VISITS, visit_events
from tests.visits import SLACKBOT, stream_record

AGGREGATE_FOLDER = Path(__file__).resolve().parents[2] / "functions" / "aggregate"
if str(AGGREGATE_FOLDER) not in sys.path:
    sys.path.insert(0, str(AGGREGATE_FOLDER))

from visit_classes import classify  # noqa: E402

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
# What an event says of its visit, but for what differs by nature between two requests.
PER_REQUEST = ("id", "at", "expires")

pytestmark = pytest.mark.usefixtures("filled_pool")

Resolve = Callable[[dict[str, Any]], Reply]


@pytest.fixture
def resolve(handlers: dict[str, Any]) -> Resolve:
    """resolve's answer to one event, read back as the client gets it."""

    def _resolve(event: dict[str, Any]) -> Reply:
        return to_reply(handlers["resolve"](event, LambdaContext()))

    return _resolve


@pytest.fixture
def run_aggregator(dynamodb: Any) -> Iterator[Callable[[], None]]:
    """Deliver every visit event in the table to the aggregator, as the stream does."""
    moto_transactions.install()  # as the local stack (tests/service/test_aggregate.py)
    store = RollupsTable(dynamodb, DEFAULT_TABLES[Env.ROLLUPS_TABLE])

    def _run() -> None:
        items = dynamodb.scan(TableName=VISITS, ConsistentRead=True)["Items"]
        records = [stream_record(VisitEvent.from_item(item), n) for n, item in enumerate(items)]
        outcome = aggregate(records, "shardId-00000001900000000000-00000001", classify, store, NoArchive())
        assert outcome.failed == []

    yield _run
    moto_transactions.uninstall()


def new_events(dynamodb: Any, seen: set[str]) -> list[dict[str, Any]]:
    """The events written since ``seen`` (ids), without what differs between two requests."""
    fresh = [event for event in visit_events(dynamodb) if event["id"] not in seen]
    seen.update(event["id"] for event in fresh)
    return [{k: v for k, v in event.items() if k not in PER_REQUEST} for event in fresh]


def both_formats(
    resolve: Resolve, dynamodb: Any, method: str, path: str, headers: dict[str, str]
) -> tuple[tuple[Reply, list[dict[str, Any]]], tuple[Reply, list[dict[str, Any]]]]:
    """The same request as a REST event and as a Function URL event: each answer and the events it wrote."""
    seen = {event["id"] for event in visit_events(dynamodb)}
    _, rest = rest_event(method, path, api_key_id=None, headers=headers)
    rest_reply = resolve(rest)
    rest_written = new_events(dynamodb, seen)
    url_reply = resolve(function_url_event(method, path, headers=headers))
    return (rest_reply, rest_written), (url_reply, new_events(dynamodb, seen))


CASES = {
    "found": ("GET", "/{live}", {"User-Agent": CHROME, "Referer": "https://news.example.com/a"}, 302),
    "permanent": ("GET", "/{permanent}", {"User-Agent": CHROME}, 301),
    "unknown-json": ("GET", "/Unknown1", {}, 404),
    "unknown-html": ("GET", "/Unknown1", {"Accept": BROWSER_ACCEPT}, 404),
    "impossible": ("GET", "/bad.key", {}, 404),
    "gone-json": ("GET", "/{disabled}", {}, 410),
    "gone-html": ("GET", "/{disabled}", {"Accept": BROWSER_ACCEPT}, 410),
    "head-found": ("HEAD", "/{limited}", {}, 307),
    "head-gone": ("HEAD", "/{disabled}", {}, 410),
    "head-unknown": ("HEAD", "/Unknown1", {}, 404),
    "bot": ("GET", "/{limited}", {"User-Agent": SLACKBOT}, 307),
    "qr": ("GET", "/{live}?qr=1", {"User-Agent": CHROME}, 302),
    "country": ("GET", "/{live}", {"User-Agent": CHROME, "CloudFront-Viewer-Country": "de"}, 302),
}


@pytest.mark.parametrize("case", CASES)
def test_both_formats_get_the_same_answer_and_write_the_same_event(
    call: Call, resolve: Resolve, dynamodb: Any, case: str
) -> None:
    method, template, headers, status = CASES[case]
    keys = {
        "live": create(call)["key"],
        "permanent": create(call, redirect_status=301)["key"],
        "disabled": create(call)["key"],
        # a one-time link: a HEAD or a bot spends none of it, so both formats meet it alive
        "limited": create(call, max_visits=1, redirect_status=307)["key"],
    }
    call("PATCH", f"/links/{keys['disabled']}", body={"disabled": True})
    path = template.format(**keys)
    rest, url = both_formats(resolve, dynamodb, method, path, headers)
    (rest_reply, rest_written), (url_reply, url_written) = rest, url
    assert rest_reply.status == status
    assert url_reply == rest_reply
    assert url_written == rest_written
    assert len(rest_written) == (1 if method == "GET" and status < 400 else 0)


def test_the_event_says_bot_qr_and_country_alike(call: Call, resolve: Resolve, dynamodb: Any) -> None:
    """What the parametrized test compares is what the contract asks for (not two empty answers)."""
    key = create(call)["key"]
    resolve(function_url_event("GET", f"/{key}?utm_source=x&qr=1", headers={"User-Agent": SLACKBOT}))
    resolve(function_url_event("GET", f"/{key}", headers={"CloudFront-Viewer-Country": "fr"}))
    events = visit_events(dynamodb)
    assert sorted((e["bot"], e["source"], e["country"]) for e in events) == [
        (False, "link", "FR"),
        (True, "qr", "(unknown)"),
    ]


@pytest.mark.parametrize("path", ["/{key}/more", "/{key}/", "/", "//{key}", "/links/{key}"])
def test_a_path_of_other_than_one_segment_is_an_unknown_key(
    call: Call, resolve: Resolve, dynamodb: Any, path: str
) -> None:
    key = create(call)["key"]
    reply = resolve(function_url_event("GET", path.format(key=key)))
    assert (reply.status, reply.error_code) == (404, "link_not_found")
    assert visit_events(dynamodb) == []


def test_a_percent_encoded_key_is_read_as_the_rest_api_reads_it(call: Call, resolve: Resolve) -> None:
    create(call, alias="Encoded_1")
    assert resolve(function_url_event("GET", "/%45ncoded_1")).status == 302  # %45 is "E"
    assert resolve(function_url_event("GET", "/Encoded%2F1")).status == 404  # a slash is no key character


def test_a_visit_through_the_front_door_is_named_by_cloudfronts_request_id(
    call: Call, resolve: Resolve, dynamodb: Any
) -> None:
    key = create(call)["key"]
    event = function_url_event("GET", f"/{key}", cf_id="Cf-Id_of-this-viewer-request==")
    assert resolve(event).status == 302
    (written,) = visit_events(dynamodb)
    assert written["id"] == "Cf-Id_of-this-viewer-request=="
    assert written["id"] != event["requestContext"]["requestId"]


def test_without_cloudfronts_id_a_function_url_visit_is_named_by_its_request_id(
    call: Call, resolve: Resolve, dynamodb: Any
) -> None:
    key = create(call)["key"]
    event = function_url_event("GET", f"/{key}")
    del event["headers"]["x-amz-cf-id"]
    assert resolve(event).status == 302
    assert [e["id"] for e in visit_events(dynamodb)] == [event["requestContext"]["requestId"]]


def retried(event: dict[str, Any]) -> dict[str, Any]:
    """CloudFront's next attempt of the same viewer request: a new request to the Function URL
    (its own Lambda request id), the same X-Amz-Cf-Id."""
    context = {**event["requestContext"], "requestId": str(uuid.uuid4())}
    return {**event, "headers": dict(event["headers"]), "requestContext": context}


@pytest.mark.parametrize("environment", ["same", "another"])
def test_cloudfront_retrying_its_origin_after_a_lost_answer_counts_once(
    call: Call, resolve: Resolve, dynamodb: Any, run_aggregator: Callable[[], None], environment: str
) -> None:
    """The put's first answer is lost inside botocore's retry loop (the event written; the SDK's
    retry finds it there), then resolve's answer is lost on its way to CloudFront, which sends the
    viewer's request to the origin again, to the same environment or another: one event, one visit."""
    key = create(call)["key"]
    viewer = {"User-Agent": CHROME, "CloudFront-Viewer-Country": "JP"}
    first = function_url_event("GET", f"/{key}", headers=viewer)
    lose = sdk_faults.LostAnswers(clients.dynamodb(), "PutItem", table=VISITS, attempts=1)
    assert resolve(first).status == 302
    assert lose.lost == ["PutItem"]
    if environment == "another":
        new_instance()
    again = resolve(retried(first))
    assert (again.status, again.headers["Location"]) == (302, "https://example.com/page")
    assert [e["id"] for e in visit_events(dynamodb)] == [first["headers"]["x-amz-cf-id"]]
    run_aggregator()
    link = call("GET", f"/links/{key}").json
    assert (link["visits"], link["bot_visits"]) == (1, 0)


@pytest.mark.parametrize("max_visits", [1, 2], ids=["used-up-by-this-visit", "still-live"])
def test_cloudfront_retrying_a_limited_link_counts_once_and_redirects(
    call: Call, resolve: Resolve, dynamodb: Any, monkeypatch: pytest.MonkeyPatch, max_visits: int
) -> None:
    """A link with max_visits counts at the redirect: CloudFront's repeat, seconds later, is the same
    visit (found by its event), answered with the redirect, never a 503, a 410 or a second count."""
    key = create(call, max_visits=max_visits)["key"]
    first = function_url_event("GET", f"/{key}")
    assert resolve(first).status == 302
    later = clock.utcnow() + timedelta(seconds=5)  # CloudFront waited for its origin, then retried
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    again = resolve(retried(first))
    assert again.status == 302
    assert call("GET", f"/links/{key}").json["visits"] == 1
    assert len(visit_events(dynamodb)) == 1


def test_a_client_made_cloudfront_id_on_the_rest_api_is_not_the_visits_id(
    call: Call, resolve: Resolve, dynamodb: Any, run_aggregator: Callable[[], None]
) -> None:
    """API Gateway hands a client's headers on: on the REST API an X-Amz-Cf-Id is anyone's. Two
    requests sending the same one are two visits, each named by API Gateway's request id (were the
    header trusted there, a client could get redirects that are never counted)."""
    key = create(call)["key"]
    headers = {"X-Amz-Cf-Id": "chosen-by-the-client=="}
    _, one = rest_event("GET", f"/{key}", api_key_id=None, headers=headers)
    _, two = rest_event("GET", f"/{key}", api_key_id=None, headers=headers)
    assert [resolve(one).status, resolve(two).status] == [302, 302]
    ids = sorted(e["id"] for e in visit_events(dynamodb))
    assert ids == sorted([one["requestContext"]["requestId"], two["requestContext"]["requestId"]])
    run_aggregator()
    assert call("GET", f"/links/{key}").json["visits"] == 2


@pytest.mark.parametrize("shape", ["function-url", "rest"])
def test_the_viewers_country_shows_in_stats_once_the_aggregator_ran(
    call: Call, resolve: Resolve, run_aggregator: Callable[[], None], shape: str
) -> None:
    key = create(call)["key"]
    for country in ("DE", "de", "FR", None):
        headers = {"User-Agent": CHROME} | ({"CloudFront-Viewer-Country": country} if country else {})
        if shape == "rest":
            event = rest_event("GET", f"/{key}", api_key_id=None, headers=headers)[1]
        else:
            event = function_url_event("GET", f"/{key}", headers=headers)
        assert resolve(event).status == 302
    run_aggregator()
    stats = call("GET", f"/links/{key}/stats").json
    countries = {row["value"]: row["visits"] for row in stats["countries"]}
    assert countries == {"DE": 2, "FR": 1, "(unknown)": 1}
