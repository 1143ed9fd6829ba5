"""GET /{key} of a link without max_visits: the link is read (from memory for up to 2 s) and the
visit is a visit event, durable before the redirect is answered; the link's item is not written.

The events are read back from the visits table exactly; faults act inside the SDK's retry loop
(tests/service/sdk_faults.py), resolve's memory runs on a clock moved by hand (``resolve_clock``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from snip.data import clients
from snip.data.link_memory import LINK_MEMORY_SECONDS
from snip.domain.visit_events import EVENT_TTL_SECONDS
from snip.settings import DEFAULT_TABLES, Env
from tests.service import sdk_faults
from tests.service.conftest import Call, LambdaContext, ResolveClock
from tests.service.lambda_events import rest_event, to_reply
from tests.service.test_links_api import create
from tests.service.visits_table_setup import VISITS, visit_events

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
SLACK = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"

pytestmark = pytest.mark.usefixtures("filled_pool")


def visit(handlers: dict[str, Any], key: str, *, query: dict[str, str] | None = None, **headers: str) -> Any:
    """A GET as API Gateway sends it; returns (reply, the event API Gateway built)."""
    _, event = rest_event("GET", f"/{key}", api_key_id=None, headers=headers or None, query=query)
    return to_reply(handlers["resolve"](event, LambdaContext())), event


def test_the_event_holds_exactly_what_the_contract_lists(
    handlers: dict[str, Any], call: Call, dynamodb: Any
) -> None:
    link = create(call)
    reply, request = visit(
        handlers,
        link["key"],
        **{
            "User-Agent": CHROME,
            "Referer": "https://News.Example.com/story/42?utm_source=x&token=s3cret#comments",
            "CloudFront-Viewer-Country": "fr",
        },
    )
    assert (reply.status, reply.headers["Location"]) == (302, link["url"])
    (event,) = visit_events(dynamodb)
    at = event.pop("at")
    assert event == {
        "id": request["requestContext"]["requestId"],
        "key": link["key"],
        "owner": "owner-a",
        "bot": False,
        "referrer": "news.example.com",
        "country": "FR",
        "user_agent": CHROME,
        "source": "link",
        "expires": event["expires"],
        "counted": False,  # the aggregator counts it on the link
        "destination": "default",  # no rules, no split: the link's url (an item leaves it out)
        "target": "",
        "created": link["created_at"],  # the owner totals' cut (snip.data.owner_totals)
    }
    assert len(at) == len("2030-01-31T12:00:00.123Z")
    assert at.endswith("Z")
    assert at[19] == "."
    from snip.domain import clock

    assert event["expires"] - int(clock.parse_rfc3339(at).timestamp()) == EVENT_TTL_SECONDS


def test_no_ip_and_no_referrer_path_anywhere(handlers: dict[str, Any], call: Call, dynamodb: Any) -> None:
    key = create(call)["key"]
    _, request = visit(
        handlers,
        key,
        Referer="https://ref.example/secret-path?q=private",
        **{"X-Forwarded-For": "198.51.100.7"},
    )
    stored = json.dumps(dynamodb.scan(TableName=VISITS)["Items"])
    assert request["requestContext"]["identity"]["sourceIp"] not in stored
    for secret in ("198.51.100.7", "secret-path", "private"):
        assert secret not in stored


def test_direct_unknown_country_and_qr_source(handlers: dict[str, Any], call: Call, dynamodb: Any) -> None:
    key = create(call)["key"]
    visit(handlers, key, query={"qr": "1"})
    visit(handlers, key, query={"qr": "0"})
    events = visit_events(dynamodb)
    assert sorted(e["source"] for e in events) == ["link", "qr"]
    assert {(e["referrer"], e["country"]) for e in events} == {("(direct)", "(unknown)")}


def test_a_preview_bots_visit_is_an_event_marked_bot(
    handlers: dict[str, Any], call: Call, dynamodb: Any
) -> None:
    key = create(call)["key"]
    assert visit(handlers, key, **{"User-Agent": SLACK})[0].status == 302
    assert [e["bot"] for e in visit_events(dynamodb)] == [True]


def test_head_writes_nothing(call: Call, dynamodb: Any, requests_made: list[str]) -> None:
    key = create(call)["key"]
    requests_made.clear()
    assert call("HEAD", f"/{key}", api_key_id=None).status == 302
    assert "PutItem" not in requests_made
    assert visit_events(dynamodb) == []


def test_gone_and_unknown_links_write_no_event(call: Call, dynamodb: Any) -> None:
    key = create(call)["key"]
    call("PATCH", f"/links/{key}", body={"disabled": True})
    assert call("GET", f"/{key}", api_key_id=None).status == 410
    assert call("GET", "/Unknown1", api_key_id=None).status == 404
    assert visit_events(dynamodb) == []


# -- memory: at most 2 s ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "after"),
    [
        ({"url": "https://example.com/new"}, 302),
        ({"disabled": True}, 410),
        (None, 410),  # deleted
    ],
    ids=["edit", "disable", "delete"],
)
def test_changes_take_effect_once_memory_expires(
    call: Call, resolve_clock: ResolveClock, change: dict[str, Any] | None, after: int
) -> None:
    key = create(call)["key"]
    assert call("GET", f"/{key}", api_key_id=None).status == 302  # read and remembered
    if change is None:
        assert call("DELETE", f"/links/{key}").status == 204
    else:
        assert call("PATCH", f"/links/{key}", body=change).status == 200
    resolve_clock.advance(LINK_MEMORY_SECONDS - 0.01)
    remembered = call("GET", f"/{key}", api_key_id=None)
    assert (remembered.status, remembered.headers["Location"]) == (302, "https://example.com/page")
    resolve_clock.advance(0.01)
    reply = call("GET", f"/{key}", api_key_id=None)
    assert reply.status == after
    if after == 302:
        assert reply.headers["Location"] == "https://example.com/new"


def test_a_link_with_max_visits_is_never_answered_from_memory(
    call: Call, resolve_clock: ResolveClock
) -> None:
    key = create(call, max_visits=2)["key"]
    assert call("GET", f"/{key}", api_key_id=None).status == 302
    call("PATCH", f"/links/{key}", body={"disabled": True})
    assert call("GET", f"/{key}", api_key_id=None).status == 410  # no time passed: not from memory
    assert call("HEAD", f"/{key}", api_key_id=None).status == 410
    call("PATCH", f"/links/{key}", body={"disabled": False})
    assert [call("GET", f"/{key}", api_key_id=None).status for _ in range(3)] == [302, 410, 410]
    assert call("GET", f"/links/{key}").json["visits"] == 2


def test_an_unknown_key_is_not_remembered(call: Call, requests_made: list[str]) -> None:
    assert call("GET", "/Later12", api_key_id=None).status == 404
    create(call, alias="Later12")
    requests_made.clear()
    assert call("GET", "/Later12", api_key_id=None).status == 302
    assert requests_made == ["GetItem", "PutItem"]


def test_a_miss_is_read_again_strongly_consistent(
    call: Call, requests_made: list[str], dynamodb: Any
) -> None:
    from snip.data import clients as snip_aws

    consistent: list[bool] = []
    snip_aws.dynamodb().meta.events.register(
        "before-call.dynamodb.GetItem",
        lambda params, **_: consistent.append(bool(json.loads(params["body"]).get("ConsistentRead"))),
    )
    assert call("GET", "/Nothing1", api_key_id=None).status == 404
    assert consistent == [False, True]


# -- the event is durable before the redirect ---------------------------------------------------
@pytest.mark.parametrize("fault", [sdk_faults.THROTTLED, sdk_faults.SERVER_ERROR, sdk_faults.TIMEOUT])
def test_an_event_that_cannot_be_written_is_503_never_a_redirect(
    call: Call, dynamodb: Any, fault: tuple[str, int]
) -> None:
    key = create(call)["key"]
    sdk_faults.inject(clients.dynamodb(), fault, operations=("PutItem",))
    reply = call("GET", f"/{key}", api_key_id=None)
    assert reply.status == 503
    assert reply.headers["Retry-After"] == "1"
    assert "Location" not in reply.headers
    assert visit_events(dynamodb) == []


@pytest.mark.parametrize("lost", [1, sdk_faults.SDK_ATTEMPTS], ids=["sdk-retry", "sdk-gave-up"])
def test_a_lost_answer_finds_its_own_event(call: Call, dynamodb: Any, lost: int) -> None:
    """The put was done, its answer lost; the repeat (the SDK's, or ours once the SDK gave up)
    fails its condition on the event with its own id: that is success, and one event."""
    key = create(call)["key"]
    lose = sdk_faults.LostAnswers(clients.dynamodb(), "PutItem", table=VISITS, attempts=lost)
    reply = call("GET", f"/{key}", api_key_id=None)
    assert len(lose.lost) == lost
    assert (reply.status, reply.headers.get("Location")) == (302, "https://example.com/page")
    assert len(visit_events(dynamodb)) == 1


def test_a_put_whose_attempts_never_arrived_is_sent_once_more(call: Call, dynamodb: Any) -> None:
    key = create(call)["key"]
    lose = sdk_faults.LostAnswers(
        clients.dynamodb(), "PutItem", table=VISITS, attempts=sdk_faults.SDK_ATTEMPTS, applied=False
    )
    assert call("GET", f"/{key}", api_key_id=None).status == 302
    assert len(lose.lost) == sdk_faults.SDK_ATTEMPTS
    assert len(visit_events(dynamodb)) == 1


def test_an_event_that_never_arrived_is_503_and_not_written(call: Call, dynamodb: Any) -> None:
    key = create(call)["key"]
    sdk_faults.LostAnswers(
        clients.dynamodb(), "PutItem", table=VISITS, attempts=2 * sdk_faults.SDK_ATTEMPTS, applied=False
    )
    assert call("GET", f"/{key}", api_key_id=None).status == 503
    assert visit_events(dynamodb) == []


def test_an_event_written_whose_every_answer_is_lost_is_a_redirect(call: Call, dynamodb: Any) -> None:
    """The SDK's attempts and ours all lost after the first was written: the lookup finds the
    event, so the visit is counted and redirected, never counted and answered 503."""
    key = create(call)["key"]
    lose = sdk_faults.LostAnswers(
        clients.dynamodb(), "PutItem", table=VISITS, attempts=2 * sdk_faults.SDK_ATTEMPTS
    )
    reply = call("GET", f"/{key}", api_key_id=None)
    assert len(lose.lost) == 2 * sdk_faults.SDK_ATTEMPTS
    assert (reply.status, reply.headers.get("Location")) == (302, "https://example.com/page")
    assert len(visit_events(dynamodb)) == 1


class _ThrottledAfterALostAnswer:
    """The event's first attempt is written and its answer lost; every later attempt is throttled
    (botocore's last answer is then a 400 that says nothing about the first attempt)."""

    def __init__(self, client: Any) -> None:
        self.lost = sdk_faults.LostAnswers(client, "PutItem", table=VISITS, attempts=1)
        self.throttled = 0
        client.meta.events.register("before-send.dynamodb.PutItem", self._throttle)

    def _throttle(self, request: Any, **_: Any) -> Any:
        if not self.lost.lost:
            return None
        self.throttled += 1
        body = json.dumps(
            {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "message": "slow"}
        )
        return AWSResponse(request.url, 400, {"x-amzn-ErrorType": "ThrottlingException"}, _Raw(body.encode()))


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def test_a_lost_answer_then_throttles_is_looked_up_not_answered_503(call: Call, dynamodb: Any) -> None:
    key = create(call)["key"]
    fault = _ThrottledAfterALostAnswer(clients.dynamodb())
    reply = call("GET", f"/{key}", api_key_id=None)
    assert (len(fault.lost.lost), fault.throttled) == (1, 2 * sdk_faults.SDK_ATTEMPTS - 1)
    assert reply.status == 302  # written by the first attempt: counted, so redirected
    assert len(visit_events(dynamodb)) == 1


def test_the_link_item_is_never_written_on_the_event_path(
    call: Call, dynamodb: Any, requests_made: list[str]
) -> None:
    key = create(call)["key"]
    requests_made.clear()
    for _ in range(5):
        call("GET", f"/{key}", api_key_id=None, headers={"User-Agent": CHROME})
    assert requests_made == ["GetItem"] + ["PutItem"] * 5
