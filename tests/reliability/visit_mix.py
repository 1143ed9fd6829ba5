"""A known mix of redirects, and what the visit pipeline must have made of it once it settles.

The fault suites (test_faults.py, test_lost_answers.py) send redirects through a ``VisitLedger``:
people and a preview bot, with and without ``?qr=1`` and a Referer. The ledger notes what each
answer promises — a 3xx is one visit of that kind, a 503 is none (the visitor was not redirected) —
and, with faults off, waits (bounded) for the pipeline (resolve's visit event → the stream → the
aggregator) and compares per link: ``visits`` / ``bot_visits`` (the link's counters item in the
rollups table, plus what its own item holds from earlier versions) and
``GET /links/{key}/stats`` (totals, ``sources``, ``referrers``, and ``destinations``: the human
visits each destination was sent, by the redirects' ``Location``). Only outcomes are judged, never
how the aggregator de-duplicates.

A 503 whose visit event was written all the same (its request id is in the visits table) is
counted apart, as ``counted_without_redirect``, so that it is neither hidden among the
double-counted visits nor mistaken for one.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests
from botocore.exceptions import ClientError

from snip.domain.visit_events import DIRECT, SOURCE_LINK, SOURCE_QR
from snip.settings import DEFAULT_TABLES, Env
from tests.e2e.stacks import Stack
from tests.reliability.http import Caller
from tests.reliability.table_dumps import LINKS, all_items
from tests.visits import CHROME_WINDOWS, FIREFOX_LINUX, SAFARI_IPHONE, SLACKBOT

VISITS = DEFAULT_TABLES[Env.VISITS_TABLE]
ROLLUPS = DEFAULT_TABLES[Env.ROLLUPS_TABLE]
# The pipeline's own writes: resolve's event put, and the aggregator's counting updates (its hour
# items, its counters items and its progress: the only UpdateItems of the rollups table).
PIPELINE_WRITES = (f"PutItem@{VISITS}", f"UpdateItem@{ROLLUPS}")
SETTLE_SECONDS = 20.0  # CONTRACT §2: 5 s locally; room for redeliveries on two shared cores
RETRIES_503 = 2  # a client retries a 503 with Retry-After at most twice, as Snip asks


@dataclass(frozen=True)
class Variant:
    """One kind of visitor: the request's headers and ``?qr=1``, and what the stats must show."""

    name: str
    user_agent: str
    referer: str | None = None
    qr: bool = False
    bot: bool = False

    @property
    def referrer(self) -> str:
        return self.referer.split("/")[2] if self.referer else DIRECT

    @property
    def source(self) -> str:
        return SOURCE_QR if self.qr else SOURCE_LINK

    def headers(self) -> dict[str, str]:
        return {"User-Agent": self.user_agent, **({"Referer": self.referer} if self.referer else {})}


PERSON = Variant("person", FIREFOX_LINUX)
VARIANTS = (
    PERSON,
    Variant("person, referred", CHROME_WINDOWS, referer="https://news.example.com/item?id=7"),
    Variant("person, QR", SAFARI_IPHONE, qr=True),
    Variant("person, QR, referred", SAFARI_IPHONE, referer="https://mail.example.org/inbox", qr=True),
    Variant("preview bot", SLACKBOT, referer="https://slack.example.com/archives/C1", bot=True),
    Variant("preview bot, QR", SLACKBOT, qr=True, bot=True),
)


@dataclass
class Tally:
    """What one link's redirects promise: visits by kind, and the human ones' breakdowns."""

    humans: int = 0
    bots: int = 0
    sources: Counter[str] = field(default_factory=Counter)
    referrers: Counter[str] = field(default_factory=Counter)
    destinations: Counter[str] = field(default_factory=Counter)  # the human redirects' Location
    destination_unknown: bool = False  # a 503 whose visit counts: sent nowhere the ledger saw

    def add(self, variant: Variant, location: str | None) -> None:
        if variant.bot:
            self.bots += 1
            return
        self.humans += 1
        self.sources[variant.source] += 1
        self.referrers[variant.referrer] += 1
        if location is None:
            self.destination_unknown = True
        else:
            self.destinations[location] += 1


@dataclass
class PipelineOutcome:
    """The pipeline's figures; each must be 0 but ``answered_503``."""

    links: int = 0
    redirects: int = 0
    answered_503: int = 0
    visits_lost: int = 0  # redirects answered above what the link counts (humans and bots)
    visits_double_counted: int = 0  # counted above the redirects answered
    stats_disagree: int = 0  # links whose stats (totals, sources, referrers) differ from the link's redirects
    counted_without_redirect: int = 0  # 503s whose visit event was written all the same
    settled_in_s: float = 0.0
    examples: list[str] = field(default_factory=list)

    def note(self, what: str) -> None:
        if len(self.examples) < 8:
            self.examples.append(what)

    def figures(self) -> dict[str, Any]:
        return {name: value for name, value in vars(self).items() if name != "examples"} | {
            "examples": self.examples
        }


class VisitLedger:
    """Redirects sent and what they promise; safe to share between client threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.tallies: dict[str, Tally] = {}
        self.unanswered: list[tuple[str, str, Variant]] = []  # 503s: key, request id, visitor
        self.statuses: Counter[int] = Counter()

    def track(self, key: str) -> None:
        with self._lock:
            self.tallies.setdefault(key, Tally())

    def redirect(self, call: Caller, key: str, variant: Variant = PERSON) -> requests.Response:
        """GET ``key`` as ``variant``; a 503 with Retry-After is retried (at most twice).

        Returns the last answer."""
        self.track(key)
        path = f"/{key}?qr=1" if variant.qr else f"/{key}"
        for attempt in range(RETRIES_503 + 1):
            reply = call("GET", path, key=False, headers=variant.headers())
            status = reply.status_code
            with self._lock:
                self.statuses[status] += 1
                if 300 <= status < 400:
                    self.tallies[key].add(variant, reply.headers.get("Location"))
                elif status == 503:
                    self.unanswered.append((key, reply.headers.get("x-amzn-RequestId", ""), variant))
            if status != 503 or "Retry-After" not in reply.headers or attempt == RETRIES_503:
                break
            time.sleep(min(float(reply.headers["Retry-After"]), 1.0))
        return reply

    def settle(self, stack: Stack, stats_for: set[str] | None = None) -> PipelineOutcome:
        """Faults must be off: wait (bounded) for the pipeline, then compare. ``stats_for``: the
        links whose stats are compared too (default every link; a ``max_visits`` link is counted
        by its redirect, and its stats come from the events resolve writes for it)."""
        outcome = PipelineOutcome(
            links=len(self.tallies),
            redirects=sum(t.humans + t.bots for t in self.tallies.values()),
            answered_503=len(self.unanswered),
        )
        expected = copy.deepcopy(self.tallies)
        written = {item["id"]["S"] for item in all_items(stack.dynamodb(), VISITS)}
        for key, request_id, variant in self.unanswered:
            if request_id in written:
                outcome.counted_without_redirect += 1
                outcome.note(f"{key}: answered 503, its event {request_id} written ({variant.name})")
                expected[key].add(variant, None)  # it will be counted: judged apart, not as double-counted

        began = time.monotonic()
        counted = self.wait_counted(stack, SETTLE_SECONDS, expected)
        outcome.settled_in_s = round(time.monotonic() - began, 1)

        call = Caller(stack)
        for key, want in sorted(expected.items()):
            humans, bots = counted[key]
            outcome.visits_lost += max(0, want.humans - humans) + max(0, want.bots - bots)
            outcome.visits_double_counted += max(0, humans - want.humans) + max(0, bots - want.bots)
            if (humans, bots) != (want.humans, want.bots):
                outcome.note(f"{key}: link counts {humans}/{bots}, redirects {want.humans}/{want.bots}")
            if stats_for is not None and key not in stats_for:
                continue
            reply = call("GET", f"/links/{key}/stats")
            shown = reply.json() if reply.status_code == 200 else {}
            destinations: Counter[str] = Counter()
            for row in shown.get("destinations", []):
                destinations[row["value"]] += row["visits"]
            seen = (
                shown.get("total", {}).get("visits"),
                shown.get("total", {}).get("bot_visits"),
                {row["value"]: row["visits"] for row in shown.get("sources", [])},
                {row["value"]: row["visits"] for row in shown.get("referrers", [])},
                None if want.destination_unknown else +destinations,
            )
            wanted = (
                want.humans,
                want.bots,
                dict(want.sources),
                dict(want.referrers),
                None if want.destination_unknown else +want.destinations,
            )
            if seen != wanted:
                outcome.stats_disagree += 1
                outcome.note(f"{key}: stats {reply.status_code} {seen}, redirects {wanted}")
        return outcome

    def wait_counted(
        self, stack: Stack, seconds: float, expected: dict[str, Tally] | None = None
    ) -> dict[str, tuple[int, int]]:
        """Wait, at most ``seconds``, until every link counts at least its redirects; the counts.

        With faults still on, this lets the aggregator meet them too (it counts after the answers);
        nothing is judged here, and a scan of its own that a fault fails only means "not yet"."""
        expected = self.tallies if expected is None else expected
        end = time.monotonic() + seconds
        while True:
            try:
                counted = self._counted(stack)
            except ClientError:  # this scan met the faults (a ``*`` rule): look again
                counted = dict.fromkeys(self.tallies, (0, 0))
            behind = [key for key, want in expected.items() if sum(counted[key]) < want.humans + want.bots]
            if not behind or time.monotonic() > end:
                return counted
            time.sleep(0.5)

    def _counted(self, stack: Stack) -> dict[str, tuple[int, int]]:
        """(visits, bot_visits) of each tracked link: its counters item (rollups table) plus what
        its own item holds (links table)."""
        counts: dict[str, tuple[int, int]] = dict.fromkeys(self.tallies, (0, 0))
        client = stack.dynamodb()
        counters = [item for item in all_items(client, ROLLUPS) if item["bucket"]["S"] == "link"]
        for item in [*all_items(client, LINKS), *counters]:
            key = item["key"]["S"]
            if key in counts:
                visits, bots = counts[key]
                counts[key] = (
                    visits + int(item.get("visits", {}).get("N", "0")),
                    bots + int(item.get("bot_visits", {}).get("N", "0")),
                )
        return counts
