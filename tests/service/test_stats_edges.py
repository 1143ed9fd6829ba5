"""GET /links/{key}/stats at the edges of time and on other offsets, through the shorten handler
(issue 20.2 and 20.3): never a 500, and every time in the answer RFC 3339 UTC."""

from __future__ import annotations

import re

import pytest

from tests.service.conftest import Call

pytestmark = pytest.mark.usefixtures("filled_pool")
UTC_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.fixture
def key(call: Call) -> str:
    reply = call("POST", "/links", body={"url": "https://example.com/", "alias": "edges"})
    assert reply.status == 201
    return str(reply.json["key"])


@pytest.mark.parametrize(
    "query",
    [
        {"to": "0001-01-05T00:00:00Z"},
        {"from": "9999-12-31T00:00:00Z", "to": "9999-12-31T23:59:59Z", "interval": "hour"},
        {"to": "9999-12-31T23:59:59-14:00"},
        {"from": "0001-01-01T00:00:00+14:00"},
        {"from": "0001-01-01T00:00:00+14:00", "to": "0001-01-01T12:00:00Z", "interval": "hour"},
        {"from": "0001-01-01T00:00:00Z", "to": "0001-01-02T00:00:00Z"},
    ],
)
def test_the_issues_extreme_dates_are_invalid_range(call: Call, key: str, query: dict[str, str]) -> None:
    reply = call("GET", f"/links/{key}/stats", query=query)
    assert (reply.status, reply.error_code) == (400, "invalid_range"), reply.body


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2030-01-01T05:30:00+05:30", "to": "2030-01-01T08:30:00+05:30", "interval": "hour"},
        {"from": "2029-12-31T17:00:00-07:00", "to": "2030-01-01T20:00:00-07:00", "interval": "hour"},
        {"from": "2029-12-31T17:00:00-07:00", "to": "2030-01-02T20:00:00-07:00"},
    ],
)
def test_other_offsets_give_utc_buckets(call: Call, key: str, query: dict[str, str]) -> None:
    reply = call("GET", f"/links/{key}/stats", query=query)
    assert reply.status == 200, reply.body
    starts = [bucket["start"] for bucket in reply.json["series"]]
    assert all(UTC_TIME.fullmatch(start) for start in [reply.json["from"], reply.json["to"], *starts])
    assert all(start.endswith(":00:00Z") for start in starts)
    if query.get("interval") != "hour":
        assert all(start.endswith("T00:00:00Z") for start in starts)
