"""A link's visit analytics (GET /links/{key}/stats): the query's rules and the answer's shape.

The numbers come from the rollups (``snip.domain.rollups``) the aggregator writes: one Query of the
link's hour or day items over the range, summed. Every bucket of the range is answered, zeros
too; breakdowns count human visits, at most 10 values each, most visits first. A day's numbers are
the sum of its hours. ``as_of`` is where the pipeline really stands (``as_of``): every visit before
it is counted.

A link's counters (``LinkCounts``) live in an item of their own, apart from the link
(``snip.data.rollups_table``); ``with_counts`` puts them on the ``Link`` the API shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from snip.domain import clock
from snip.domain.errors import InvalidInput, LinkNotFound
from snip.domain.link import Link
from snip.domain.redirect_rules import SPLIT_PREFIX, target_tag
from snip.domain.rollups import (
    DAY,
    DESTINATIONS,
    DIMENSIONS,
    HOUR,
    HOUR_PREFIX,
    INTERVALS,
    Totals,
    as_count,
    bucket,
    bucket_start,
    destination_value,
)
from snip.domain.short_keys import is_possible_key
from snip.domain.visit_events import DEFAULT_DESTINATION

DEFAULT_RANGE = timedelta(days=30)
YEARS = range(2000, 3000)  # the UTC years a range may touch (CONTRACT §2)
LONGEST = {DAY: timedelta(days=400), HOUR: timedelta(days=31)}
TOP = 10


# A visit's time is taken before its event is put, and resolve gives up on the put after its
# timeout (snip_deploy.function_specs.RESOLVE, 5 s; a test holds them equal): an event may reach
# the stream that long after the visit it records.
PUT_IN_FLIGHT = timedelta(seconds=5)
# A stream's records are kept 24 h: a shard not heard of for longer has nothing left to count.
FORGOTTEN_AFTER = timedelta(hours=25)


@dataclass(frozen=True)
class LinkCounts:
    """A link's counters item: what the aggregator (and, for a link with max_visits, the
    redirect) counted since counters left the link's item."""

    visits: int = 0
    bot_visits: int = 0
    last_visit_at: str | None = None


def with_counts(link: Link, counts: LinkCounts | None) -> Link:
    """``link`` with its counts: those its own item still holds (counted there before the
    counters item existed, frozen since) plus the counters item's."""
    if counts is None:
        return link
    stamps = [stamp for stamp in (link.last_visit_at, counts.last_visit_at) if stamp]
    return replace(
        link,
        visits=link.visits + counts.visits,
        bot_visits=link.bot_visits + counts.bot_visits,
        last_visit_at=max(stamps) if stamps else None,
    )


RUNNING, OK, BEHIND = "running", "ok", "behind"


@dataclass(frozen=True)
class ShardProgress:
    """Where the aggregator stands on one stream shard: every record of the shard created before
    ``before`` (epoch seconds) is counted. ``state``: ``running`` (a batch is being counted: its
    first record is ``before``), ``ok`` (the last batch counted whole; ``before`` is its last
    record) or ``behind`` (a batch failed from the record at ``before``). ``at``: when written."""

    shard: str
    state: str
    before: float
    at: float

    def encode(self) -> str:
        return f"{self.state}|{self.before:.3f}|{self.at:.3f}"

    @classmethod
    def decode(cls, shard: str, text: str) -> ShardProgress:
        state, before, at = text.split("|")
        return cls(shard, state, float(before), float(at))

    def counted_before(self, now: float, idle_after: float) -> float:
        """Before when this shard has counted everything: an ``ok`` shard not invoked again for
        ``idle_after`` seconds (a shard with records is invoked within its batching window) is
        idle: caught up."""
        if self.state == OK and now - self.at >= idle_after:
            return now
        return self.before


def as_of(progress: list[ShardProgress], now: datetime, idle_after: float) -> datetime:
    """Where the pipeline really stands: the least advanced shard (an idle one caught up), less
    the time a visit's event may still be on its way to the stream (``PUT_IN_FLIGHT``)."""
    moment = now.timestamp()
    horizon = moment - FORGOTTEN_AFTER.total_seconds()
    standing = [p.counted_before(moment, idle_after) for p in progress if p.at >= horizon]
    reached = datetime.fromtimestamp(min([moment, *standing]), UTC)
    return reached.replace(microsecond=0) - PUT_IN_FLIGHT


class LinkReader(Protocol):
    def get_link(self, key: str, *, consistent: bool) -> Link | None: ...


class RollupReader(Protocol):
    def rollup_items(self, key: str, first: str, last: str) -> list[dict[str, object]]: ...


def _day_items(items: list[dict[str, object]]) -> list[dict[str, object]]:
    """Hour items summed into day items (``d#2030-01-31``)."""
    days: dict[str, Totals] = {}
    for item in items:
        name = str(item["bucket"])
        if name.startswith(HOUR_PREFIX):
            days.setdefault(
                INTERVALS[DAY][0] + name[len(HOUR_PREFIX) : len(HOUR_PREFIX) + 10], Totals()
            ).add_item(item)
    return [{"bucket": name, **totals.as_item()} for name, totals in days.items()]


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
    # Hour items only: a day is the sum of its hours.
    first = bucket(HOUR, starts[0])
    last = bucket(HOUR, starts[-1] + INTERVALS[query.interval][1] - timedelta(hours=1))
    items = rollups.rollup_items(key, first, last)
    if query.interval == DAY:
        items = _day_items(items)
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
        DESTINATIONS: destinations(link, totals),
    }


def destinations(link: Link, totals: Totals) -> list[dict[str, object]]:
    """Human visits by where they were sent, for the link's rules and split as they are now: each
    rule and variant the visits it sent to the URL it has now (moved or edited to another URL, it
    starts again from zero: never another URL's visits), and the link's url the rest (every visit
    no rule or variant sent)."""
    sent = totals.breakdowns[DESTINATIONS]
    places = [(str(index), rule.url) for index, rule in enumerate(link.rules)]
    places += [(f"{SPLIT_PREFIX}{index}", target.url) for index, target in enumerate(link.split)]
    shown: list[dict[str, object]] = [
        {"value": url, "rule": reason, "visits": sent[destination_value(reason, target_tag(url))]}
        for reason, url in places
    ]
    shown.append(
        {"value": link.url, "rule": DEFAULT_DESTINATION, "visits": totals.visits - sum(sent.values())}
    )
    return shown
