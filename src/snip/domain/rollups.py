"""Rollups: what the aggregator adds per link and bucket, and how stats read it back.

A link's visits are summed into one item per hour (``h#2030-01-31T12``) of the rollups table; a
day (``d#2030-01-31``) is the sum of its hours, made when stats are read. Each item holds
``visits`` and ``bot_visits`` and, for human visits only, one number per breakdown value, as a
top-level attribute named ``<d>:<value>``, the dimension's letter (``r:news.example.com``,
``d:mobile``; earlier versions wrote ``referrers:news.example.com``, read alike). Top-level numbers
let one UpdateItem ``ADD`` to values never seen before (a nested map would have to exist first).

Pure functions only: the data module (``snip.data.rollups_table``) writes and reads the items.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypedDict

from snip.domain.visit_events import DEFAULT_DESTINATION, VisitEvent, usable_host

HOUR, DAY = "hour", "day"
INTERVALS = {HOUR: ("h#", timedelta(hours=1), "%Y-%m-%dT%H"), DAY: ("d#", timedelta(days=1), "%Y-%m-%d")}
# The breakdowns of CONTRACT §2, in the order the stats answer lists them.
DIMENSIONS = ("referrers", "countries", "devices", "browsers", "os", "sources")
DEVICE_CLASSES = ("desktop", "mobile", "tablet", "other")
SEPARATOR = ":"
# A breakdown's attribute is ``<d>:<value>`` with its dimension's one letter: names count in an
# item's size, and an hour item of a link visited from many places must stay under 1 KB as long as
# it can (one write unit). Items written before carry the whole name; both read the same.
# Where human visits were sent (redirect rules, a split): ``t:<reason>@<target tag>``
# (``t:0@AbCdEfGh``, ``t:split:1@...``: the rule or variant and the tag of the URL it sent to) for
# every reason but the link's url, whose visits are the rest (an item of a link without rules gains
# nothing). Not a top-10 breakdown: every one is kept, and an item too full for new breakdown
# values still takes these few numbers while it can (snip.data.rollups_table).
DESTINATIONS = "destinations"
SHORT = {
    "referrers": "r", "countries": "c", "devices": "d", "browsers": "b", "os": "o", "sources": "s",
    DESTINATIONS: "t",
}  # fmt: skip
_DIMENSION_OF = {**{dimension: dimension for dimension in SHORT}, **{short: d for d, short in SHORT.items()}}
VISITS, BOT_VISITS = "visits", "bot_visits"


@dataclass(frozen=True)
class UserAgentClass:
    device: str  # one of DEVICE_CLASSES
    browser: str  # a family name ("Chrome", "Mobile Safari", "Other")
    os: str  # a family name ("iOS", "Windows", "Other")


@dataclass(frozen=True)
class ClassifiedVisit:
    """A visit event with its user agent classified (by the aggregator, never by resolve)."""

    event: VisitEvent
    agent: UserAgentClass

    def breakdown(self) -> dict[str, str]:
        """Dimension -> value, as the stats count it."""
        return {
            "referrers": usable_host(self.event.referrer),  # an event written before the cap
            "countries": self.event.country,
            "devices": self.agent.device,
            "browsers": self.agent.browser,
            "os": self.agent.os,
            "sources": self.event.source,
        }


@dataclass
class BucketDelta:
    """What a set of visits adds to one rollup item."""

    visits: int = 0
    bot_visits: int = 0
    breakdowns: Counter[str] = field(default_factory=Counter)  # "<dimension>:<value>" -> visits
    destinations: Counter[str] = field(default_factory=Counter)  # "t:<reason>@<tag>" -> visits

    def add(self, visit: ClassifiedVisit) -> None:
        if visit.event.bot:
            self.bot_visits += 1
            return
        self.visits += 1
        for dimension, value in visit.breakdown().items():
            self.breakdowns[attribute(dimension, value)] += 1
        if visit.event.destination != DEFAULT_DESTINATION:
            self.destinations[
                attribute(DESTINATIONS, destination_value(visit.event.destination, visit.event.target))
            ] += 1

    def counters(self, breakdowns: bool = True, destinations: bool = True) -> dict[str, int]:
        """Every number this delta adds, by attribute name (zeros left out); without
        ``breakdowns``, only the visits, bot visits and (unless ``destinations`` is false too)
        destinations: what an item DynamoDB will not let grow (400 KB) may still take."""
        found = {
            VISITS: self.visits,
            BOT_VISITS: self.bot_visits,
            **(self.destinations if destinations else {}),
            **(self.breakdowns if breakdowns else {}),
        }
        return {name: value for name, value in found.items() if value}


def destination_value(reason: str, target: str) -> str:
    """What a rollup counts a destination by: the reason and the target's tag."""
    return f"{reason}@{target}"


def attribute(dimension: str, value: str) -> str:
    return f"{SHORT[dimension]}{SEPARATOR}{value}"


def bucket(interval: str, moment: datetime) -> str:
    """The sort key of the UTC bucket holding ``moment`` (whatever its offset)."""
    prefix, _, pattern = INTERVALS[interval]
    return prefix + moment.astimezone(UTC).strftime(pattern)


def bucket_start(interval: str, moment: datetime) -> datetime:
    """The start of the UTC hour or day holding ``moment`` (whatever its offset), in UTC."""
    moment = moment.astimezone(UTC)
    if interval == HOUR:
        return moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


HOUR_PREFIX, DAY_PREFIX = INTERVALS[HOUR][0], INTERVALS[DAY][0]


def hour_of(at: str) -> str:
    """The hour bucket of an event's time (RFC 3339 UTC, ``2030-01-31T12:00:00.123Z``)."""
    return HOUR_PREFIX + at[:13]


def deltas(visits: Iterable[ClassifiedVisit]) -> dict[str, BucketDelta]:
    """Hour bucket sort key -> what ``visits`` add to its item (a day is the sum of its hours)."""
    found: dict[str, BucketDelta] = {}
    for visit in visits:
        found.setdefault(hour_of(visit.event.at), BucketDelta()).add(visit)
    return found


def as_count(value: object) -> int:
    """A rollup item's number (TypeError if it is none)."""
    if isinstance(value, int | float | str):
        return int(value)
    raise TypeError(f"not a count: {value!r}")


class Ranked(TypedDict):
    """One value of a breakdown and its visits."""

    value: str
    visits: int


@dataclass
class Totals:
    """Rollup items summed: the stats of a range."""

    visits: int = 0
    bot_visits: int = 0
    breakdowns: dict[str, Counter[str]] = field(
        default_factory=lambda: {d: Counter() for d in (*DIMENSIONS, DESTINATIONS)}
    )

    def add_item(self, item: Mapping[str, object]) -> None:
        """Add a rollup item (its numbers read as ``int``, as ``snip.data.item_codec`` reads them)."""
        self.visits += as_count(item.get(VISITS, 0))
        self.bot_visits += as_count(item.get(BOT_VISITS, 0))
        for name, value in item.items():
            prefix, sep, breakdown_value = name.partition(SEPARATOR)
            dimension = _DIMENSION_OF.get(prefix, "")
            if sep and dimension in self.breakdowns:
                self.breakdowns[dimension][breakdown_value] += as_count(value)

    def as_item(self) -> dict[str, int]:
        """These totals as a rollup item's numbers (``add_item`` reads them back)."""
        item = {VISITS: self.visits, BOT_VISITS: self.bot_visits}
        for dimension, counts in self.breakdowns.items():
            item |= {attribute(dimension, value): count for value, count in counts.items()}
        return item

    def top(self, dimension: str, limit: int = 10) -> list[Ranked]:
        """The ``limit`` values with the most visits, most first (ties by value, for a stable answer)."""
        ranked = sorted(self.breakdowns[dimension].items(), key=lambda kv: (-kv[1], kv[0]))
        return [{"value": value, "visits": count} for value, count in ranked[:limit] if count]
