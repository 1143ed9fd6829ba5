"""GET /links/{key}/stats: the query's rules (CONTRACT §2) and the answer from rollup items."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from snip.domain.errors import InvalidInput, LinkNotFound
from snip.domain.link import Link
from snip.domain.stats import link_stats, parse_query

NOW = datetime(2030, 1, 31, 12, 34, 56, tzinfo=UTC)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"interval": "week"}, "invalid_interval"),
        ({"from": "2030-01-02T00:00:00Z", "to": "2030-01-01T00:00:00Z"}, "invalid_range"),
        ({"from": "2028-01-01T00:00:00Z", "to": "2029-02-06T00:00:00Z"}, "invalid_range"),  # 402 days
        ({"from": "2030-01-01T00:00:00Z", "to": "2030-02-02T00:00:00Z", "interval": "hour"}, "invalid_range"),
        ({"from": "yesterday"}, "invalid_range"),
        ({"to": "2030-01-01"}, "invalid_range"),
    ],
)
def test_bad_queries(params: dict[str, str], code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_query(params, NOW)
    assert raised.value.code == code


def test_defaults_are_the_30_days_up_to_now_by_day() -> None:
    query = parse_query({}, NOW)
    assert (query.interval, query.end, (query.end - query.start).days) == ("day", NOW, 30)
    assert len(query.bucket_starts()) == 31  # the partial first and last days included


def test_the_longest_ranges_are_allowed() -> None:
    assert parse_query({"from": "2029-01-01T00:00:00Z", "to": "2030-02-05T00:00:00Z"}, NOW)
    hourly = parse_query(
        {"from": "2030-01-01T00:00:00Z", "to": "2030-02-01T00:00:00Z", "interval": "hour"}, NOW
    )
    assert len(hourly.bucket_starts()) == 31 * 24


class _Links:
    def get_link(self, key: str, *, consistent: bool) -> Link | None:
        return Link(key, owner="alice") if key == "AbC1234" else None


class _Rollups:
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.asked: list[tuple[str, str, str]] = []

    def rollup_items(self, key: str, first: str, last: str) -> list[dict[str, Any]]:
        self.asked.append((key, first, last))
        return [i for i in self.items if first <= i["bucket"] <= last]


def test_every_bucket_with_zeros_and_the_breakdowns() -> None:
    rollups = _Rollups(
        [
            {
                "bucket": "h#2030-01-31T10",
                "visits": 3,
                "bot_visits": 1,
                "referrers:a.example": 2,
                "referrers:(direct)": 1,
                "sources:qr": 3,
            },
            {"bucket": "h#2030-01-31T12", "visits": 1, "devices:tablet": 1},
            {"bucket": "h#2030-01-31T13", "visits": 9},  # outside the range
        ]
    )
    query = parse_query(
        {"from": "2030-01-31T09:30:00Z", "to": "2030-01-31T12:10:00+00:00", "interval": "hour"}, NOW
    )
    answer = link_stats(_Links(), rollups, "alice", "AbC1234", query, NOW)
    assert rollups.asked == [("AbC1234", "h#2030-01-31T09", "h#2030-01-31T12")]
    assert answer["series"] == [
        {"start": "2030-01-31T09:00:00Z", "visits": 0, "bot_visits": 0},
        {"start": "2030-01-31T10:00:00Z", "visits": 3, "bot_visits": 1},
        {"start": "2030-01-31T11:00:00Z", "visits": 0, "bot_visits": 0},
        {"start": "2030-01-31T12:00:00Z", "visits": 1, "bot_visits": 0},
    ]
    assert answer["total"] == {"visits": 4, "bot_visits": 1}
    assert answer["referrers"] == [{"value": "a.example", "visits": 2}, {"value": "(direct)", "visits": 1}]
    assert answer["sources"] == [{"value": "qr", "visits": 3}]
    assert answer["devices"] == [{"value": "tablet", "visits": 1}]
    assert (answer["from"], answer["to"], answer["as_of"]) == (
        "2030-01-31T09:30:00Z",
        "2030-01-31T12:10:00Z",
        "2030-01-31T12:34:56Z",
    )


@pytest.mark.parametrize(("owner", "key"), [("bob", "AbC1234"), ("alice", "Missing"), ("alice", "bad key!")])
def test_another_owners_link_is_not_found(owner: str, key: str) -> None:
    with pytest.raises(LinkNotFound):
        link_stats(_Links(), _Rollups([]), owner, key, parse_query({}, NOW), NOW)
