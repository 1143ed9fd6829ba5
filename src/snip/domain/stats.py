"""A link's visit analytics (GET /links/{key}/stats): the query's rules and the answer's shape.

The numbers come from the rollups (``snip.domain.rollups``) the aggregator writes: one Query of the
link's hour or day items over the range, summed. Every bucket of the range is answered, zeros
too; breakdowns count human visits, at most 10 values each, most visits first. ``as_of`` is the
pipeline's bound: every visit before it is counted (CONTRACT §2: 60 s deployed, 5 s locally).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from snip.domain import clock
from snip.domain.errors import InvalidInput, LinkNotFound
from snip.domain.link import Link
from snip.domain.rollups import DAY, DIMENSIONS, HOUR, INTERVALS, Totals, as_count, bucket, bucket_start
from snip.domain.short_keys import is_possible_key

DEFAULT_RANGE = timedelta(days=30)
YEARS = range(2000, 3000)  # the UTC years a range may touch (CONTRACT §2)
LONGEST = {DAY: timedelta(days=400), HOUR: timedelta(days=31)}
TOP = 10


class LinkReader(Protocol):
    def get_link(self, key: str, *, consistent: bool) -> Link | None: ...


class RollupReader(Protocol):
    def rollup_items(self, key: str, first: str, last: str) -> list[dict[str, object]]: ...


@dataclass(frozen=True)
class StatsQuery:
    start: datetime
    end: datetime
    interval: str

    def bucket_starts(self) -> list[datetime]:
        """The start of every bucket the range touches, in order."""
        step = INTERVALS[self.interval][1]
        moment = bucket_start(self.interval, self.start)
        starts = [moment]
        while moment + step < self.end:
            moment += step
            starts.append(moment)
        return starts


def _moment(params: Mapping[str, str | None], name: str) -> datetime | None:
    """The instant ``name`` gives, in UTC whatever offset it was written in."""
    text = params.get(name)
    if text is None:
        return None
    try:
        written = clock.parse_rfc3339(text)
    except ValueError:
        raise InvalidInput(
            f"{name} must be an RFC 3339 date-time with an offset.", code="invalid_range"
        ) from None
    try:
        return _within_years(written.astimezone(UTC), name)
    except OverflowError:  # before year 1 or after 9999 in UTC
        raise _outside_years(name) from None


def _within_years(moment: datetime, name: str) -> datetime:
    if moment.year not in YEARS:
        raise _outside_years(name)
    return moment


def _outside_years(name: str) -> InvalidInput:
    return InvalidInput(
        f"{name} must be an instant in the years {YEARS.start} to {YEARS.stop - 1} (UTC).",
        code="invalid_range",
    )


def parse_query(params: Mapping[str, str | None], now: datetime) -> StatsQuery:
    """``from``, ``to`` (default: the 30 days up to now) and ``interval`` (default ``day``), read as
    UTC instants: the buckets are UTC hours and days whatever offset the caller wrote."""
    interval = params.get("interval") or DAY
    if interval not in INTERVALS:
        raise InvalidInput("interval must be hour or day.", code="invalid_interval")
    end = _moment(params, "to") or now.astimezone(UTC)
    start = _moment(params, "from") or _within_years(end - DEFAULT_RANGE, "from (30 days before to)")
    if start > end:
        raise InvalidInput("from must not be after to.", code="invalid_range")
    if end - start > LONGEST[interval]:
        days = LONGEST[interval].days
        raise InvalidInput(f"A range of {interval}s spans at most {days} days.", code="invalid_range")
    return StatsQuery(start=start, end=end, interval=interval)


def link_stats(
    links: LinkReader,
    rollups: RollupReader,
    owner: str,
    key: str,
    query: StatsQuery,
    as_of: datetime,
) -> dict[str, object]:
    """The owner's link's stats over ``query``; LinkNotFound for anyone else's (or no) link."""
    link = links.get_link(key, consistent=False) if is_possible_key(key) else None
    if link is None or not link.live_for(owner):
        raise LinkNotFound("No link with this key.")
    starts = query.bucket_starts()
    items = rollups.rollup_items(key, bucket(query.interval, starts[0]), bucket(query.interval, starts[-1]))
    by_bucket = {item["bucket"]: item for item in items}
    totals = Totals()
    series = []
    for start in starts:
        item = by_bucket.get(bucket(query.interval, start), {})
        totals.add_item(item)
        series.append(
            {
                "start": clock.format_ts(start),
                "visits": as_count(item.get("visits", 0)),
                "bot_visits": as_count(item.get("bot_visits", 0)),
            }
        )
    return {
        "key": key,
        "from": clock.format_ts(query.start),
        "to": clock.format_ts(query.end),
        "interval": query.interval,
        "as_of": clock.format_ts(as_of),
        "total": {"visits": totals.visits, "bot_visits": totals.bot_visits},
        "series": series,
        **{dimension: totals.top(dimension, TOP) for dimension in DIMENSIONS},
    }
