"""The local front door: the gateway plays the CloudFront distribution (CONTRACT, "The front door").

``GET``/``HEAD /{key}`` reach resolve as Function URL events (payload 2.0) with a fresh
X-Amz-Cf-Id and only what the origin request policy forwards; the API's paths reach the REST API
as before. ``SNIP_FRONT_DOOR=off`` plays the API-Gateway-only shape: redirects on the REST API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from snip.settings import DEFAULT_TABLES, Env
from snip_local.cloudfront_standin import FUNCTION_URL_HOST
from tests.e2e.stacks import PROBE, Stack, running_stack
from tests.e2e.test_stats_e2e import COUNTRY, create, wait_for

VISITS = DEFAULT_TABLES[Env.VISITS_TABLE]
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)


def visit(stack: Stack, path: str, **headers: str) -> requests.Response:
    return requests.get(f"{stack.base_url}{path}", headers=headers, allow_redirects=False, timeout=30)


def events_of(stack: Stack, key: str) -> list[dict[str, Any]]:
    """The visit events of ``key`` in the stack's visits table: id, country."""
    found = stack.dynamodb().scan(
        TableName=VISITS,
        ConsistentRead=True,
        FilterExpression="#k = :k",
        ExpressionAttributeNames={"#k": "key"},
        ExpressionAttributeValues={":k": {"S": key}},
    )["Items"]
    return [{"id": item["id"]["S"], "country": item["country"]["S"]} for item in found]


def test_a_redirect_through_the_front_door_counts_once_with_the_country_played(stack: Stack) -> None:
    key = create(stack)
    response = visit(stack, f"/{key}", **{"User-Agent": CHROME, COUNTRY: "nz"})
    assert (response.status_code, response.headers["Location"]) == (302, "https://example.com/stats")
    cf_id = response.headers["X-Amz-Cf-Id"]  # CloudFront's id of the request, in its answer too
    assert response.headers["X-Cache"] == "Miss from cloudfront"
    assert "x-amz-apigw-id" not in response.headers  # API Gateway never saw it
    assert events_of(stack, key) == [{"id": cf_id, "country": "NZ"}]
    answer, _ = wait_for(stack, key, lambda a: a["total"]["visits"] >= 1)
    assert answer["total"] == {"visits": 1, "bot_visits": 0}
    assert answer["countries"] == [{"value": "NZ", "visits": 1}]


@pytest.mark.parametrize("alias", ["linkshare", "links-promo", "healthy", "openapi_v2", "_underscore"])
def test_a_key_that_starts_like_an_api_path_is_a_redirect(stack: Stack, alias: str) -> None:
    create(stack, alias=alias)
    response = visit(stack, f"/{alias}")
    assert (response.status_code, response.headers["Location"]) == (302, "https://example.com/stats")
    assert "X-Amz-Cf-Id" in response.headers


def test_a_client_made_cloudfront_id_never_names_a_visit(stack: Stack) -> None:
    """CloudFront sets its own X-Amz-Cf-Id on every request: a client sending one twice makes two
    visits, neither under its id."""
    key = create(stack)
    answers = [visit(stack, f"/{key}", **{"X-Amz-Cf-Id": "chosen-by-the-client=="}) for _ in range(2)]
    assert [a.status_code for a in answers] == [302, 302]
    ids = sorted(e["id"] for e in events_of(stack, key))
    assert ids == sorted(a.headers["X-Amz-Cf-Id"] for a in answers)
    assert "chosen-by-the-client==" not in ids
    answer, _ = wait_for(stack, key, lambda a: a["total"]["visits"] >= 2)
    assert answer["total"]["visits"] == 2


def test_the_front_door_answers_other_paths_and_methods_as_cloudfront_does(stack: Stack) -> None:
    """More than one segment is resolve's 404 (the default behaviour takes every path the API's
    patterns do not); a method other than GET and HEAD there is CloudFront's own 403 page."""
    deep = visit(stack, "/a/b/c")
    assert (deep.status_code, deep.json()["error"]["code"]) == (404, "link_not_found")
    for method in ("POST", "PUT", "DELETE"):
        refused = requests.request(method, f"{stack.base_url}/Abc1234", timeout=30)
        assert refused.status_code == 403, method
        assert refused.headers["Content-Type"].startswith("text/html")
        assert "The request could not be satisfied" in refused.text
    head = requests.head(f"{stack.base_url}/Missing1", timeout=30)
    assert head.status_code == 404


# -- what resolve receives: resolve played by the probe ----------------------------------------
@pytest.fixture(scope="module")
def probe_as_resolve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack whose resolve is the test-only probe: it answers with the event it got."""
    with running_stack(
        tmp_path_factory.mktemp("stacks"),
        "probe-resolve",
        SNIP_TEST_FUNCTIONS=f"{PROBE},resolve=tests/e2e/fixtures/probe",
        SNIP_POOL_TARGET="10",
        SNIP_KEYGEN_INTERVAL="3600",
    ) as running:
        yield running


def test_resolve_gets_a_function_url_event_with_only_the_forwarded_headers(probe_as_resolve: Stack) -> None:
    response = requests.get(
        f"{probe_as_resolve.base_url}/Abc1234?utm_source=x&a=1&a=2",
        headers={
            "Host": "evil.example",
            "X-Amz-Cf-Id": "chosen-by-the-client==",
            "x-api-key": "local-dev-key",
            "Cookie": "theme=dark; snip_vid=v-123",
            "User-Agent": CHROME,
            "Referer": "https://news.example.com/a",
            "Accept-Language": "fr-CH, fr;q=0.9",
            "Accept": "text/html",
            COUNTRY: "CH",
            "X-Custom": "never forwarded",
        },
        timeout=30,
    )
    assert response.status_code == 200
    event = response.json()["event"]
    assert event["version"] == "2.0"
    assert (event["rawPath"], event["rawQueryString"]) == ("/Abc1234", "utm_source=x&a=1&a=2")
    assert event["queryStringParameters"] == {"utm_source": "x", "a": "1,2"}
    assert event["cookies"] == ["snip_vid=v-123"]
    headers = event["headers"]
    assert all(name == name.lower() for name in headers)
    viewer = {name: headers[name] for name in headers if name in FORWARDED}
    assert viewer == {
        "user-agent": CHROME,
        "referer": "https://news.example.com/a",
        "accept-language": "fr-CH, fr;q=0.9",
        "accept": "text/html",
        "cloudfront-viewer-country": "CH",
    }
    assert set(headers) - set(FORWARDED) == CLOUDFRONTS_OWN
    assert headers["host"] == FUNCTION_URL_HOST == event["requestContext"]["domainName"]
    assert headers["x-amz-cf-id"] == response.headers["X-Amz-Cf-Id"] != "chosen-by-the-client=="
    assert event["requestContext"]["http"]["method"] == "GET"
    assert "evil.example" not in json.dumps(event)
    assert "local-dev-key" not in json.dumps(event)


FORWARDED = ("user-agent", "referer", "accept-language", "accept", "cloudfront-viewer-country")
# Added on the way: CloudFront's request id, Via and X-Forwarded-For; the Function URL's host,
# protocol, port and trace id.
CLOUDFRONTS_OWN = {
    "x-amz-cf-id",
    "via",
    "x-forwarded-for",
    "host",
    "x-forwarded-proto",
    "x-forwarded-port",
    "x-amzn-trace-id",
}


def test_each_request_gets_its_own_cloudfront_id(probe_as_resolve: Stack) -> None:
    url = f"{probe_as_resolve.base_url}/Abc1234"
    events = [requests.get(url, timeout=30).json()["event"] for _ in range(3)]
    ids = {event["headers"]["x-amz-cf-id"] for event in events}
    assert len(ids) == 3


# -- the API-Gateway-only shape ----------------------------------------------------------------
@pytest.fixture(scope="module")
def api_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(
        tmp_path_factory.mktemp("stacks"),
        "api-only",
        SNIP_FRONT_DOOR="off",
        SNIP_POOL_TARGET="10",
        SNIP_KEYGEN_INTERVAL="3600",
    ) as running:
        yield running


def test_without_the_front_door_redirects_are_on_the_rest_api_and_count(api_only: Stack) -> None:
    key = create(api_only)
    response = visit(api_only, f"/{key}", **{"User-Agent": CHROME, COUNTRY: "BR"})
    assert (response.status_code, response.headers["Location"]) == (302, "https://example.com/stats")
    assert "X-Amz-Cf-Id" not in response.headers
    # The visit is named by API Gateway's request id (its answer's x-amzn-RequestId).
    assert events_of(api_only, key) == [{"id": response.headers["x-amzn-RequestId"], "country": "BR"}]
    answer, _ = wait_for(api_only, key, lambda a: a["total"]["visits"] >= 1)
    assert answer["total"] == {"visits": 1, "bot_visits": 0}
    assert answer["countries"] == [{"value": "BR", "visits": 1}]


def test_without_the_front_door_other_paths_are_api_gateways(api_only: Stack) -> None:
    for method, path in (("GET", "/a/b/c"), ("POST", "/x")):
        response = requests.request(method, f"{api_only.base_url}{path}", timeout=30)
        assert response.status_code == 403, (method, path)
        assert response.json() == {"message": "Missing Authentication Token"}


@pytest.mark.parametrize("mode", ["raise", "malformed"])
def test_a_failed_origin_is_the_front_doors_503_page(probe_as_resolve: Stack, mode: str) -> None:
    """resolve failing (the Function URL's 502) reaches the visitor as the distribution's custom
    error response: 503 with its page, never API Gateway's or Lambda's bare error."""
    response = requests.get(f"{probe_as_resolve.base_url}/Abc1234?mode={mode}", timeout=30)
    assert response.status_code == 503
    assert "Internal server error" not in response.text
    assert response.headers["X-Amz-Cf-Id"]
