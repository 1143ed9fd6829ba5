"""GET /links/{key}/stats's query, read by the Event Handler (``from`` by its alias) and checked
by the domain's range rules: the codes CONTRACT §2 names, through the shorten handler."""

from __future__ import annotations

import pytest

from tests.service.conftest import Call

pytestmark = pytest.mark.usefixtures("filled_pool")


@pytest.fixture
def key(call: Call) -> str:
    reply = call("POST", "/links", body={"url": "https://example.com/", "alias": "stats-me"})
    assert reply.status == 201
    return str(reply.json["key"])


def test_the_defaults_are_the_30_days_up_to_now_by_day(call: Call, key: str) -> None:
    reply = call("GET", f"/links/{key}/stats")
    assert reply.status == 200, reply.body
    assert (reply.json["interval"], len(reply.json["series"])) == ("day", 31)


def test_from_to_and_interval_are_read(call: Call, key: str) -> None:
    query = {"from": "2030-01-01T00:00:00+02:00", "to": "2030-01-01T03:00:00Z", "interval": "hour"}
    reply = call("GET", f"/links/{key}/stats", query=query)
    assert reply.status == 200, reply.body
    assert (reply.json["from"], reply.json["to"]) == ("2029-12-31T22:00:00Z", "2030-01-01T03:00:00Z")
    assert [bucket["start"][11:13] for bucket in reply.json["series"]] == ["22", "23", "00", "01", "02"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"interval": "week"}, "invalid_interval"),
        ({"interval": ""}, "invalid_interval"),
        ({"from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z"}, "invalid_range"),
        ({"from": "2030-01-01T00:00:00Z", "to": "2030-02-02T00:00:00Z", "interval": "hour"}, "invalid_range"),
        ({"from": "yesterday"}, "invalid_range"),
        ({"to": ""}, "invalid_range"),
    ],
)
def test_a_bad_query_answers_its_code(call: Call, key: str, query: dict[str, str], code: str) -> None:
    reply = call("GET", f"/links/{key}/stats", query=query)
    assert (reply.status, reply.error_code) == (400, code), reply.body


def test_another_owners_link_is_not_found(call: Call, key: str) -> None:
    reply = call("GET", f"/links/{key}/stats", api_key_id="someone-else")
    assert (reply.status, reply.error_code) == (404, "link_not_found")
