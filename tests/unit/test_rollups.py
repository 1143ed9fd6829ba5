"""Rollup math: buckets, deltas, sums and the transaction sizes of one link's visits."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from snip.data.rollups_table import (
    MAX_BUCKET_ATTRIBUTES,
    chunk_size,
    from_legacy,
    legacy_position,
    position,
    sequence_number,
)
from snip.domain.rollups import (
    DAY,
    HOUR,
    BucketDelta,
    ClassifiedVisit,
    Totals,
    UserAgentClass,
    bucket,
    deltas,
)
from tests.visits import visit

PHONE = UserAgentClass("mobile", "Mobile Safari", "iOS")
DESKTOP = UserAgentClass("desktop", "Chrome", "Windows")


def test_buckets_sort_like_time() -> None:
    moment = datetime(2030, 1, 31, 12, 34, 56, tzinfo=UTC)
    assert bucket(HOUR, moment) == "h#2030-01-31T12"
    assert bucket(DAY, moment) == "d#2030-01-31"
    assert bucket(HOUR, datetime(2030, 1, 31, 9, tzinfo=UTC)) < bucket(HOUR, moment)


def test_people_count_in_breakdowns_bots_only_in_totals() -> None:
    visits = [
        ClassifiedVisit(
            visit("k", 0, at="2030-01-31T12:00:00.000Z", referrer="a.example", country="DE"), PHONE
        ),
        ClassifiedVisit(visit("k", 1, at="2030-01-31T12:30:00.000Z", source="qr"), DESKTOP),
        ClassifiedVisit(visit("k", 2, at="2030-01-31T13:00:00.000Z", bot=True), DESKTOP),
    ]
    found = deltas(visits)
    assert set(found) == {"h#2030-01-31T12", "h#2030-01-31T13"}  # hours only: a day is their sum
    hour = found["h#2030-01-31T12"].counters()
    assert (hour["visits"], "bot_visits" in hour) == (2, False)
    assert hour["r:a.example"] == hour["r:(direct)"] == 1  # a dimension's letter: smaller items
    assert hour["d:mobile"] == hour["d:desktop"] == 1
    assert hour["s:qr"] == hour["s:link"] == 1
    assert hour["c:DE"] == hour["c:(unknown)"] == 1
    assert found["h#2030-01-31T13"].counters() == {"bot_visits": 1}


def test_items_written_before_read_alike() -> None:
    """Hour items of earlier versions name a breakdown in full; both add up."""
    totals = Totals()
    totals.add_item({"visits": 3, "referrers:a.example": 2, "r:a.example": 1, "countries:DE": 3})
    assert totals.top("referrers") == [{"value": "a.example", "visits": 3}]
    assert totals.top("countries") == [{"value": "DE", "visits": 3}]


def test_totals_sum_items_and_rank_the_top_ten() -> None:
    totals = Totals()
    for n in range(12):
        item = {"bucket": f"d#2030-01-{n + 1:02d}", "visits": n + 1, "bot_visits": 1}
        item[f"referrers:site{n}.example"] = n + 1
        totals.add_item(item)
    totals.add_item({"bucket": "d#2030-01-13", "referrers:site11.example": 5})
    assert (totals.visits, totals.bot_visits) == (78, 12)
    top = totals.top("referrers")
    assert len(top) == 10
    assert top[0] == {"value": "site11.example", "visits": 17}
    assert [row["visits"] for row in top] == sorted((row["visits"] for row in top), reverse=True)
    assert totals.top("countries") == []


def test_a_value_may_hold_the_separator() -> None:
    totals = Totals()
    totals.add_item({"browsers:Weird:Browser": 2})
    assert totals.top("browsers") == [{"value": "Weird:Browser", "visits": 2}]


def test_an_hours_visits_are_one_update_however_many() -> None:
    one_hour = [ClassifiedVisit(visit("k", n), PHONE) for n in range(3000)]
    assert chunk_size(one_hour) == 3000  # the same few breakdown values: one update of the hour


def test_an_update_keeps_its_expression_small() -> None:
    varied = [
        ClassifiedVisit(visit("k", n, referrer=f"r{n}.example", country=f"C{n}"), PHONE) for n in range(300)
    ]
    size = chunk_size(varied)
    counters = BucketDelta()
    for one in varied[:size]:
        counters.add(one)
    assert len(counters.counters()) <= MAX_BUCKET_ATTRIBUTES
    assert size < 97


def test_positions_sort_as_their_sequence_numbers_do_and_stay_short() -> None:
    rng = random.Random(5)
    numbers = [0, 1, 63, 64, 10**20, 10**20 + 1, 10**21 - 1, 10**21, 10**40 - 1]
    numbers += [rng.randrange(10**20, 10**40) for _ in range(2000)]
    numbers += [10**20 + rng.randrange(10**6) for _ in range(500)]
    ordered = sorted(numbers)
    # compared as DynamoDB compares strings: byte by byte
    assert sorted(ordered, key=lambda n: position(str(n)).encode()) == ordered
    for number in numbers:
        found = position(str(number))
        assert sequence_number(found) == number
        assert legacy_position(found) == str(number).zfill(40)
        assert from_legacy(str(number).zfill(40)) == found
    assert len(position(str(10**20 + 12345))) == 13  # 21 digits (DynamoDB Streams' today)
    assert max(len(position(str(n))) for n in numbers) == 24  # 40 digits, the most there are
    assert from_legacy("") == ""
