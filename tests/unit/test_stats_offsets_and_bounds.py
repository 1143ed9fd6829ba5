"""Stats on any offset, and at the edges of time (CONTRACT §2, issue 20.2 and 20.3).

``from``/``to`` are instants whatever offset they are written in: the buckets are UTC hours and
UTC days, and the same instants give the same answer. An instant whose UTC year is outside
2000-2999 is 400 ``invalid_range``, never a 500; every time in the answer is RFC 3339 UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from snip.domain import clock
from snip.domain.errors import InvalidInput
from snip.domain.link import Link
from snip.domain.stats import link_stats, parse_query

NOW = datetime(2030, 1, 31, 12, 34, 56, tzinfo=UTC)
UTC_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


class _Links:
    def get_link(self, key: str, *, consistent: bool) -> Link | None:
        return Link(key, owner="alice")


class _Rollups:
    """Three visits at 2030-01-31T10:xxZ (hour and day items), as the aggregator writes them."""

    items = [
        {"bucket": "h#2030-01-31T10", "visits": 3},
        {"bucket": "d#2030-01-31", "visits": 3},
    ]

    def rollup_items(self, key: str, first: str, last: str) -> list[dict[str, Any]]:
        return [item for item in self.items if first <= item["bucket"] <= last]


def stats(params: dict[str, str]) -> dict[str, Any]:
    return link_stats(_Links(), _Rollups(), "alice", "AbC1234", parse_query(params, NOW), NOW)


# The same two instants, 2030-01-31T09:00Z .. 2030-01-31T12:00Z, written three ways.
SAME_RANGE = [
    {"from": "2030-01-31T09:00:00Z", "to": "2030-01-31T12:00:00Z"},
    {"from": "2030-01-31T14:30:00+05:30", "to": "2030-01-31T17:30:00+05:30"},
    {"from": "2030-01-31T02:00:00-07:00", "to": "2030-01-31T05:00:00-07:00"},
]


@pytest.mark.parametrize("interval", ["hour", "day"])
@pytest.mark.parametrize("params", SAME_RANGE, ids=["utc", "+05:30", "-07:00"])
def test_the_same_instants_give_the_same_answer_whatever_the_offset(
    params: dict[str, str], interval: str
) -> None:
    assert stats({**params, "interval": interval}) == stats({**SAME_RANGE[0], "interval": interval})


def test_buckets_are_utc_hours_with_an_offset_of_half_an_hour() -> None:
    answer = stats({**SAME_RANGE[1], "interval": "hour"})
    hours = [f"2030-01-31T{hour}:00:00Z" for hour in ("09", "10", "11")]  # up to 12:00, not after
    assert [bucket["start"] for bucket in answer["series"]] == hours
    assert answer["total"]["visits"] == 3
    assert (answer["from"], answer["to"]) == ("2030-01-31T09:00:00Z", "2030-01-31T12:00:00Z")


def test_buckets_are_utc_days_with_a_negative_offset() -> None:
    answer = stats({"from": "2030-01-30T20:00:00-07:00", "to": "2030-01-31T04:00:00-07:00"})
    assert [b["start"] for b in answer["series"]] == ["2030-01-31T00:00:00Z"]
    assert answer["total"]["visits"] == 3


@pytest.mark.parametrize(
    "params",
    [
        {"to": "0001-01-05T00:00:00Z"},
        {"from": "9999-12-31T00:00:00Z", "to": "9999-12-31T23:59:59Z", "interval": "hour"},
        {"to": "9999-12-31T23:59:59-14:00"},
        {"from": "0001-01-01T00:00:00+14:00", "to": "0001-01-02T00:00:00+14:00"},
        {"from": "0001-01-01T00:00:00+14:00"},
        {"from": "0001-01-01T00:00:00Z", "to": "0001-01-02T00:00:00Z"},
        {"from": "1999-12-31T23:59:59Z", "to": "2000-01-02T00:00:00Z"},
        {"from": "2999-12-31T00:00:00Z", "to": "3000-01-01T00:00:00Z"},
        {"from": "2000-01-01T00:00:00+00:01", "to": "2000-01-02T00:00:00Z"},  # 1999 in UTC
        {"from": "2999-12-31T23:00:00Z", "to": "2999-12-31T23:59:59-00:01"},  # 3000 in UTC
    ],
)
def test_instants_outside_the_years_2000_to_2999_are_invalid_range(params: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_query(params, NOW)
    assert raised.value.code == "invalid_range"


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2000-01-01T00:00:00Z", "to": "2000-01-02T00:00:00Z", "interval": "hour"},
        {"from": "2000-01-01T05:30:00+05:30", "to": "2000-01-01T06:00:00+05:30", "interval": "hour"},
        {"from": "2999-12-31T00:00:00Z", "to": "2999-12-31T23:59:59Z", "interval": "hour"},
        {"from": "2999-12-31T16:00:00-07:00", "to": "2999-12-31T16:59:59-07:00"},
    ],
)
def test_the_edges_of_the_years_2000_to_2999_answer_in_utc(params: dict[str, str]) -> None:
    answer = stats(params)
    times = [answer["from"], answer["to"], answer["as_of"], *(b["start"] for b in answer["series"])]
    assert all(UTC_TIME.fullmatch(t) for t in times), times
    assert all("2000" <= t[:4] <= "2999" for t in times[:2])


def test_a_time_before_year_1000_is_still_written_with_four_digits() -> None:
    assert clock.format_ts(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00Z"
