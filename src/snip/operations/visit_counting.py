"""The aggregator's domain: a batch of visits-table stream records becomes counts, once each.

The batch is what Lambda's event source mapping (deployed) or ``snip_local.stream_poller``
(locally) delivers: DynamoDB Streams records of one shard, INSERTs only (the mapping's filter; TTL
expiry is a REMOVE), with the shard's id (the mapping's tumbling window puts ``shardId`` in every
event). Each record's new image is a ``VisitEvent`` (or a deleted link's ``GoneEvent``); a
visit's user agent is classified here, off the redirect's path, by the ``classify`` the handler
passes.

Every event goes to the raw archive first (at least once, deterministic names), then each link's
events are counted with one plain update per hour touched and one of the link's counters
(``snip.data.rollups_table``: exactly once, by a watermark per item and shard), several links at
once (links share no item; each link's writes stay in order). A link whose
counting fails reports its records as failed (ReportBatchItemFailures): Lambda delivers again from
the first of them, and what was counted already is dropped on its watermarks. Then each owner's
events of links created since the cut are added to the owner's totals, once per owner, and a
deleted link's GoneEvent takes its frozen counts off them (``snip.data.owner_totals``); an owner
one of whose links failed is delivered again whole.

Where the shard stands is written before and after (``ShardProgress``: stats' ``as_of``): while a
batch is being counted, everything before its first record; after it, everything up to its last
record, or before its first failed one.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol, TypedDict

from aws_lambda_powertools import Logger

from snip.data.owner_totals import OwnerEntry
from snip.data.rollups_table import Counted, StreamVisit, position, shard_tag
from snip.data.visit_archive import Archive
from snip.domain.gone_events import GoneEvent
from snip.domain.rollups import ClassifiedVisit, UserAgentClass
from snip.domain.stats import BEHIND, OK, RUNNING, ShardProgress
from snip.domain.visit_events import VisitEvent

INSERT = "INSERT"
logger = Logger(child=True)  # the aggregator's Powertools Logger


class StreamChange(TypedDict, total=False):
    """The ``dynamodb`` part of a stream record, as far as the aggregator reads it."""

    SequenceNumber: str
    ApproximateCreationDateTime: float  # epoch seconds
    NewImage: Mapping[str, Mapping[str, object]]  # the event's item, in DynamoDB's typed JSON


class StreamRecord(TypedDict, total=False):
    eventName: str  # INSERT, MODIFY or REMOVE
    dynamodb: StreamChange


class ItemFailure(TypedDict):
    itemIdentifier: str  # the sequence number of a record to deliver again


class BatchResponse(TypedDict):
    batchItemFailures: list[ItemFailure]
    state: dict[str, object]


class Counter(Protocol):
    def count(self, key: str, shard: str, visits: list[StreamVisit]) -> Counted: ...

    def record_progress(self, shard: str, progress: ShardProgress) -> None: ...


class OwnerBook(Protocol):
    """The owners' totals (``snip.data.owner_totals.OwnersTable``)."""

    def cut(self) -> str: ...

    def counters(self, keys: list[str]) -> dict[str, dict[str, object]]: ...

    def add(self, owner: str, shard_tag: str, entries: list[OwnerEntry]) -> int: ...


@dataclass
class BatchOutcome:
    counted: int = 0  # events counted by this delivery
    repeated: int = 0  # events found counted already (a redelivery)
    skipped: int = 0  # records that are not visit events (never retried: they would block the shard)
    failed: list[str] = field(default_factory=list)  # sequence numbers to report as failed

    def response(self) -> BatchResponse:
        """The handler's answer: ReportBatchItemFailures, and the tumbling window's state, which
        Lambda requires in every answer (Snip keeps none: its counts are in DynamoDB)."""
        return {"batchItemFailures": [{"itemIdentifier": seq} for seq in self.failed], "state": {}}


def visits_of(
    records: Iterable[StreamRecord], classify: Callable[[str], UserAgentClass]
) -> tuple[list[tuple[str, ClassifiedVisit]], int]:
    """(sequence number, classified visit) per INSERT record, and how many records were skipped."""
    found: list[tuple[str, ClassifiedVisit]] = []
    skipped = 0
    for record in records:
        stream = record.get("dynamodb") or StreamChange()
        image = stream.get("NewImage")
        if record.get("eventName") != INSERT or image is None:
            skipped += 1
            continue
        try:
            event = VisitEvent.from_item(image)
        except (KeyError, TypeError, ValueError):
            skipped += 1
            continue
        found.append(
            (str(stream.get("SequenceNumber", "")), ClassifiedVisit(event, classify(event.user_agent)))
        )
    return found, skipped


def gone_of(records: Iterable[StreamRecord]) -> list[tuple[str, GoneEvent]]:
    """(sequence number, GoneEvent) per INSERT record of a deleted link."""
    found: list[tuple[str, GoneEvent]] = []
    for record in records:
        stream = record.get("dynamodb") or StreamChange()
        image = stream.get("NewImage")
        if record.get("eventName") != INSERT or image is None or "kind" not in image:
            continue
        try:
            found.append((str(stream.get("SequenceNumber", "")), GoneEvent.from_item(image)))
        except (KeyError, TypeError, ValueError):
            continue
    return found


def aggregate(
    records: Iterable[StreamRecord],
    shard: str,
    classify: Callable[[str], UserAgentClass],
    counter: Counter,
    archive: Archive,
    workers: int = 1,
    owners: OwnerBook | None = None,
) -> BatchOutcome:
    """Archive and count one delivery of ``shard``'s records, up to ``workers`` links at once
    (each link's writes stay in order; links share no item), then, with ``owners``, add what was
    counted (and what deleted links take off) to their owners' totals, once per owner."""
    if not shard:
        raise ValueError("no shard id: the event source mapping needs its tumbling window (VISIT_STREAM)")
    records = list(records)
    created = {
        str((record.get("dynamodb") or {}).get("SequenceNumber", "")): float(
            (record.get("dynamodb") or {}).get("ApproximateCreationDateTime") or 0
        )
        for record in records
    }
    visits, skipped = visits_of(records, classify)
    gone = gone_of(records) if owners is not None else []
    outcome = BatchOutcome(skipped=skipped - len(gone))
    if not visits and not gone:
        return outcome
    sequences = [seq for seq, _ in visits] + [seq for seq, _ in gone]
    first = min(created.get(seq, 0.0) for seq in sequences)
    # Not counted if it cannot be written: the batch is delivered again.
    counter.record_progress(shard, ShardProgress(shard, RUNNING, first, time.time()))
    outcome, results = _count(visits, shard, counter, archive, outcome, workers)
    if owners is not None and visits and not results:  # the archive failed: all is delivered again
        outcome.failed = sorted(set(outcome.failed) | {seq for seq, _ in gone}, key=_seq_order)
    elif owners is not None:
        _add_to_owners(visits, gone, results, shard, owners, outcome, workers)
    if outcome.failed:
        progress = ShardProgress(
            shard, BEHIND, min(created.get(seq, first) for seq in outcome.failed), time.time()
        )
    else:
        progress = ShardProgress(shard, OK, max(created.get(seq, first) for seq in sequences), time.time())
    with contextlib.suppress(Exception):  # counted; as_of stays where the running batch began
        counter.record_progress(shard, progress)
    return outcome


def _count(
    visits: list[tuple[str, ClassifiedVisit]],
    shard: str,
    counter: Counter,
    archive: Archive,
    outcome: BatchOutcome,
    workers: int,
) -> tuple[BatchOutcome, dict[str, Counted | None]]:
    """Archive the visits, then count each link's; the result of each link (None: it failed)."""
    if not visits:
        return outcome, {}
    try:
        archive.write([visit for _, visit in visits])
    except Exception:
        # Nothing counted yet: the whole batch is delivered again.
        outcome.failed = sorted((seq for seq, _ in visits), key=_seq_order)
        return outcome, {}
    by_link: dict[str, list[tuple[str, ClassifiedVisit]]] = {}
    for seq, visit in visits:
        by_link.setdefault(visit.event.key, []).append((seq, visit))

    def count(found: list[tuple[str, ClassifiedVisit]]) -> Counted | None:
        try:
            return counter.count(
                found[0][1].event.key, shard, [StreamVisit(position(seq), v) for seq, v in found]
            )
        except Exception:
            return None  # reported below: the link's records are delivered again

    groups = list(by_link.values())
    if workers > 1 and len(groups) > 1:
        with ThreadPoolExecutor(max_workers=min(workers, len(groups))) as pool:
            results = list(pool.map(count, groups))
    else:
        results = [count(found) for found in groups]
    for found, counted in zip(groups, results, strict=True):
        if counted is None:
            outcome.failed += [seq for seq, _ in found]
            continue
        outcome.counted += counted.hours
        outcome.repeated += len(found) - counted.hours
    outcome.failed.sort(key=_seq_order)
    return outcome, dict(zip(by_link, results, strict=True))


def _add_to_owners(
    visits: list[tuple[str, ClassifiedVisit]],
    gone: list[tuple[str, GoneEvent]],
    results: Mapping[str, Counted | None],
    shard: str,
    owners: OwnerBook,
    outcome: BatchOutcome,
    workers: int,
) -> None:
    """Each owner's events of links created since the cut, as one update of its totals: a
    visit adds what is on its link's counters item; a GoneEvent takes off its link's frozen
    counts. An owner one of whose links failed is left to the redelivery, whole."""
    try:
        cut = owners.cut()
    except Exception:
        everything = [seq for seq, _ in visits] + [seq for seq, _ in gone]
        outcome.failed = sorted(set(outcome.failed) | set(everything), key=_seq_order)
        return
    mine = [(seq, v) for seq, v in visits if v.event.created and v.event.created >= cut]
    theirs = [(seq, g) for seq, g in gone if g.created >= cut]
    unknown = {
        v.event.key for _, v in mine if (r := results.get(v.event.key)) and r.total is None and not r.frozen
    }
    try:
        read = owners.counters(sorted(unknown | {g.key for _, g in theirs})) if unknown or theirs else {}
    except Exception:
        everything = [seq for seq, _ in mine] + [seq for seq, _ in theirs]
        outcome.failed = sorted(set(outcome.failed) | set(everything), key=_seq_order)
        return
    entries: dict[str, list[tuple[str, OwnerEntry]]] = {}
    blocked: set[str] = set()
    for seq, visit in mine:
        event, result = visit.event, results.get(visit.event.key)
        if result is None:
            blocked.add(event.owner)
            entries.setdefault(event.owner, []).append((seq, OwnerEntry(position(seq), event.key)))
            continue
        on_item = position(seq) in result.settled
        total = None if result.frozen else result.total
        if total is None and not result.frozen and event.key in read:
            total = int(str(read[event.key].get("visits", 0)))
        entry = OwnerEntry(
            position(seq),
            event.key,
            visits=int(on_item and not event.bot),
            bot_visits=int(on_item and event.bot),
            total=total,
        )
        entries.setdefault(event.owner, []).append((seq, entry))
    for seq, deleted in theirs:
        frozen = read.get(deleted.key, {})
        entry = OwnerEntry(
            position(seq),
            deleted.key,
            visits=-int(str(frozen.get("visits", 0))),
            bot_visits=-int(str(frozen.get("bot_visits", 0))),
            gone=True,
        )
        entries.setdefault(deleted.owner, []).append((seq, entry))

    def add(owner: str) -> bool:
        try:
            owners.add(owner, shard_tag(shard), [entry for _, entry in entries[owner]])
            return True
        except Exception:
            logger.warning("owner totals not written", extra={"owner": owner}, exc_info=True)
            return False

    ready = [owner for owner in entries if owner not in blocked]
    if workers > 1 and len(ready) > 1:
        with ThreadPoolExecutor(max_workers=min(workers, len(ready))) as pool:
            done = list(pool.map(add, ready))
    else:
        done = [add(owner) for owner in ready]
    failed = set(outcome.failed)
    for owner in blocked | {owner for owner, ok in zip(ready, done, strict=True) if not ok}:
        failed |= {seq for seq, _ in entries[owner]}
    outcome.failed = sorted(failed, key=_seq_order)


def _seq_order(seq: str) -> tuple[int, str]:
    """Stream sequence numbers are decimal strings of varying length: order them as numbers."""
    return (len(seq), seq)
