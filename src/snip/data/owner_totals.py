"""An owner's totals, kept by the visit pipeline: what GET /links/summary reads instead of every
link's counters item.

One item per owner in the rollups table, ``("#owner/<owner>", "totals")``:

* ``visits``, ``bot_visits``: the owner's links' counts, for the links **created since the cut**
  (below). The aggregator adds each batch's visits of the owner's links with **one plain
  conditional UpdateItem per owner and batch**, after the links' own writes, under a watermark per
  stream shard (``n#<tag>``) exactly as a link's counters item is written
  (``snip.data.rollups_table``): what a shard has counted into the item is a prefix of the owner's
  events in that shard, so a redelivered, bisected or retried batch, or an update whose answer was
  lost, adds nothing twice.
* ``t:<key>``: the **candidates** for the top 10: a link's total as the aggregator last saw it on
  its counters item, written when it is above the owner's **floor** (the highest ``f#<tag>``), at
  most ``CANDIDATES_MAX`` an update, those with most visits (the links left out raise the shard's
  floor to the most visits among them). Every live link counted since the cut that is not a
  candidate has at most the floor's visits:
  a trim (more than ``CANDIDATES_MAX`` candidates) reads the candidates' counters items afresh,
  keeps the ``CANDIDATES_KEEP`` with most visits, removes the others (each only if its entry is
  still what was read) and raises its shard's floor to the most visits it removed. A link's visits
  only grow, and a link above the floor is written again with its next visit.

Which visits count where. An event counts into its owner's totals when it is on its link's
counters item: counted there now or before (at or below the item's watermark), or by the redirect
itself (a link with ``max_visits``: ``counted``). DELETE freezes the counters item in the
tombstone's transaction (``counter_items.FROZEN``; nothing counts on it after, the redirect's own
count included) and writes a ``GoneEvent`` in the same transaction; the aggregator takes the frozen
counts off the owner's totals when the GoneEvent comes (under the same watermarks). So the totals
hold, once every event is through the pipeline, exactly the sum of the live links' counters items;
before that, the visits still in flight are missing, as from stats.

The cut. Links created before this version counted visits that no owner item holds: the first
aggregator of this version records a **cut** (``("#owners", "cut")``, its time plus
``SNIP_OWNER_CUT_MARGIN``, by default ``CUT_MARGIN_SECONDS``, in which every function of the
deploy is updated: older resolves write events without the link's ``created``). Events and
GoneEvents of links created before the cut are never added; GET /links/summary reads those links
one by one, as it read every link before (``snip.operations.owner_summary``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, cast

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from snip.data import clients
from snip.data.counter_items import BOT_VISITS, COUNTERS_BUCKET, FROZEN, VISITS, WATERMARK_PREFIX
from snip.data.dependency_guard import CONDITION_FAILED, dependency_guard, error_code, old_item
from snip.data.item_codec import attribute_names, from_item, to_item
from snip.data.rollups_table import RollupsTable, prune_watermarks
from snip.domain.errors import DependencyUnavailable
from snip.domain.gone_events import GoneEvent
from snip.domain.visit_events import EVENT_TTL_SECONDS
from snip.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef, UpdateItemInputTypeDef

    from snip.data.item_codec import Item

OWNER_PREFIX = "#owner/"  # '#' is never in a link's key
TOTALS_BUCKET = "totals"
CUT_KEY, CUT_BUCKET, CUT = "#owners", "cut", "cut"
CANDIDATE_PREFIX = "t:"
FLOOR_PREFIX = "f#"
CUT_MARGIN_SECONDS = 900  # a deploy updates every function within this (docs/deploy.md)
CANDIDATES_MAX = 30  # candidates an owner item gathers before a trim
CANDIDATES_KEEP = 20  # candidates a trim keeps: the top 10 and room for deletes
logger = Logger(child=True)  # the aggregator's Powertools Logger


def owner_key(owner: str) -> str:
    return OWNER_PREFIX + owner


def deletion(
    key: str, owner: str, created: str, deleted_at: str, marker: str, rollups_table: str, visits_table: str
) -> list[TransactWriteItemTypeDef]:
    """What DELETE writes with the link's tombstone, in its transaction: the freeze of the link's
    counters item and the link's GoneEvent (only if new: a key is deleted once)."""
    gone = GoneEvent(
        key=key, owner=owner, at=deleted_at, created=created, expires=int(time.time()) + EVENT_TTL_SECONDS
    )
    return [
        {
            "Update": {
                "TableName": rollups_table,
                "Key": to_item({"key": key, "bucket": COUNTERS_BUCKET}),
                "UpdateExpression": "SET #f = :marker",
                "ExpressionAttributeNames": {"#f": FROZEN},
                "ExpressionAttributeValues": to_item({":marker": marker}),
            }
        },
        {
            "Put": {
                "TableName": visits_table,
                "Item": cast("Item", gone.to_item()),  # the domain writes plain S and N values
                "ConditionExpression": "attribute_not_exists(#id)",
                "ExpressionAttributeNames": attribute_names("id"),
            }
        },
    ]


@dataclass(frozen=True)
class OwnerEntry:
    """One event of the owner's, in its shard's order, as the owner's totals take it: what it adds
    (a GoneEvent: takes off), and the link's total for the candidates."""

    position: str
    key: str
    visits: int = 0
    bot_visits: int = 0
    total: int | None = None  # the link's visits on its counters item after this batch
    gone: bool = False


@dataclass(frozen=True)
class OwnerTotals:
    """An owner item as GET /links/summary reads it."""

    visits: int
    bot_visits: int
    candidates: dict[str, int]
    floor: int


def totals_of(item: Mapping[str, object]) -> OwnerTotals:
    return OwnerTotals(
        visits=int(str(item.get(VISITS, 0))),
        bot_visits=int(str(item.get(BOT_VISITS, 0))),
        candidates={
            name[len(CANDIDATE_PREFIX) :]: int(str(value))
            for name, value in item.items()
            if name.startswith(CANDIDATE_PREFIX)
        },
        floor=max([int(str(v)) for n, v in item.items() if n.startswith(FLOOR_PREFIX)], default=0),
    )


class OwnersTable:
    """The owner items and the cut, in the rollups table."""

    def __init__(
        self,
        client: DynamoDBClient,
        rollups_table: str,
        epoch: Callable[[], float] = time.time,
        margin: float = CUT_MARGIN_SECONDS,
    ) -> None:
        self.client = client
        self.rollups_table = rollups_table
        self.epoch = epoch
        self.margin = margin
        self._cut: str | None = None
        self._floors: dict[str, int] = {}  # owner -> the floor its item last showed

    # -- the cut -----------------------------------------------------------------------------
    def cut(self) -> str:
        """The cut, recorded by the first caller (the aggregator) if there is none yet."""
        if self._cut is None:
            moment = time.gmtime(self.epoch() + self.margin)
            with dependency_guard():
                answer = self.client.update_item(
                    TableName=self.rollups_table,
                    Key=to_item({"key": CUT_KEY, "bucket": CUT_BUCKET}),
                    UpdateExpression="SET #c = if_not_exists(#c, :c)",
                    ExpressionAttributeNames={"#c": CUT},
                    ExpressionAttributeValues=to_item({":c": time.strftime("%Y-%m-%dT%H:%M:%SZ", moment)}),
                    ReturnValues="ALL_NEW",
                )
            self._cut = str(from_item(answer["Attributes"])[CUT])
        return self._cut

    def recorded_cut(self) -> str | None:
        """The cut if one is recorded (a consistent read); None before the first aggregator ran."""
        with dependency_guard():
            found = self.client.get_item(
                TableName=self.rollups_table,
                Key=to_item({"key": CUT_KEY, "bucket": CUT_BUCKET}),
                ConsistentRead=True,
            )
        value = from_item(found.get("Item", {})).get(CUT)
        return str(value) if value else None

    # -- reading -----------------------------------------------------------------------------
    def totals(self, owner: str) -> OwnerTotals:
        """The owner's item (consistent); zeros if nothing was counted for the owner yet."""
        with dependency_guard():
            found = self.client.get_item(
                TableName=self.rollups_table,
                Key=to_item({"key": owner_key(owner), "bucket": TOTALS_BUCKET}),
                ConsistentRead=True,
            )
        return totals_of(from_item(found.get("Item", {})))

    def counters(self, keys: Sequence[str]) -> dict[str, dict[str, object]]:
        """The counters items of ``keys`` (consistent BatchGetItems of 100), as they are."""
        return RollupsTable(self.client, self.rollups_table).counters_items(keys)

    # -- counting ----------------------------------------------------------------------------
    def add(self, owner: str, shard_tag: str, entries: Sequence[OwnerEntry]) -> int:
        """Add ``entries`` (the owner's events of one shard's batch, in order) to the owner's
        item once, with their links' totals as candidates; returns how many entries this call
        added (the rest were added before: a redelivery).

        At most ``CANDIDATES_MAX`` candidates are written, those with most visits; the links
        left out raise this shard's floor to the most visits among them (never lowering it: the
        update's condition holds it at or below the value written)."""
        ordered = sorted({entry.position: entry for entry in entries}.values(), key=lambda e: e.position)
        known = self._floors.get(owner, 0)
        gone = {entry.key for entry in ordered if entry.gone}
        totals: dict[str, int] = {}
        for entry in ordered:
            if entry.total is not None and entry.key not in gone:
                totals[entry.key] = max(entry.total, totals.get(entry.key, 0))
        ranked = sorted(((k, t) for k, t in totals.items() if t > known), key=lambda kv: (-kv[1], kv[0]))
        candidates, left_out = ranked[:CANDIDATES_MAX], ranked[CANDIDATES_MAX:]
        floor = max((total for _, total in left_out), default=None)
        chunk: Sequence[OwnerEntry] = ordered
        added = 0
        while True:
            try:
                item = self._write(owner, shard_tag, chunk, candidates, gone, floor)
                added = len(chunk)
                break
            except ClientError as error:
                if error_code(error) != CONDITION_FAILED:
                    raise
                old = from_item(old_item(error) or {})
            done = str(old.get(WATERMARK_PREFIX + shard_tag) or "").split("@", 1)[0]
            rest = [entry for entry in chunk if entry.position > done]
            mine = old.get(FLOOR_PREFIX + shard_tag)
            higher = floor is not None and mine is not None and int(str(mine)) > floor
            if len(rest) == len(chunk) and not higher:
                raise DependencyUnavailable(f"the conditions of {owner}'s totals dropped nothing")
            chunk = rest
            if higher:
                floor = int(str(mine))
        self._after(owner, shard_tag, item)
        return added

    def _write(
        self,
        owner: str,
        shard_tag: str,
        chunk: Sequence[OwnerEntry],
        candidates: Sequence[tuple[str, int]],
        gone: set[str],
        floor: int | None,
    ) -> dict[str, object]:
        """One update of the owner's item: ``chunk`` added (on the shard's watermark; none: a
        redelivery, only the candidates and the floor are written), candidates set, deleted
        links' candidates removed, the shard's floor raised."""
        names: dict[str, str] = {}
        values: dict[str, object] = {}
        adds, sets, conditions = [], [], []
        if chunk:
            names |= {"#v": VISITS, "#b": BOT_VISITS, "#n": WATERMARK_PREFIX + shard_tag}
            values |= {
                ":v": sum(entry.visits for entry in chunk),
                ":b": sum(entry.bot_visits for entry in chunk),
                ":first": chunk[0].position,
                ":mark": f"{chunk[-1].position}@{int(self.epoch())}",
            }
            adds = ["#v :v", "#b :b"]
            sets.append("#n = :mark")
            conditions.append("(attribute_not_exists(#n) OR #n < :first)")
        for i, (key, total) in enumerate(candidates):
            names[f"#t{i}"], values[f":t{i}"] = CANDIDATE_PREFIX + key, total
            sets.append(f"#t{i} = :t{i}")
        if floor is not None:
            names["#f"], values[":f"] = FLOOR_PREFIX + shard_tag, floor
            sets.append("#f = :f")
            conditions.append("(attribute_not_exists(#f) OR #f <= :f)")
        removes = []
        for i, key in enumerate(sorted(gone & {entry.key for entry in chunk})):
            names[f"#r{i}"] = CANDIDATE_PREFIX + key
            removes.append(f"#r{i}")
        if not (adds or sets or removes):
            return self._read_item(owner)
        expression = " ".join(
            part
            for part in (
                "ADD " + ", ".join(adds) if adds else "",
                "SET " + ", ".join(sets) if sets else "",
                "REMOVE " + ", ".join(removes) if removes else "",
            )
            if part
        )
        update: UpdateItemInputTypeDef = {
            "TableName": self.rollups_table,
            "Key": to_item({"key": owner_key(owner), "bucket": TOTALS_BUCKET}),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ReturnValues": "ALL_NEW",
        }
        if values:
            update["ExpressionAttributeValues"] = to_item(values)
        if conditions:
            update["ConditionExpression"] = " AND ".join(conditions)
            update["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        with dependency_guard():
            answer = self.client.update_item(**update)
        return from_item(answer.get("Attributes", {}))

    def _read_item(self, owner: str) -> dict[str, object]:
        with dependency_guard():
            found = self.client.get_item(
                TableName=self.rollups_table,
                Key=to_item({"key": owner_key(owner), "bucket": TOTALS_BUCKET}),
                ConsistentRead=True,
            )
        return from_item(found.get("Item", {}))

    def _after(self, owner: str, shard_tag: str, item: Mapping[str, object]) -> None:
        """Remember the floor; prune stale watermarks and trim the candidates once there are too
        many: both best effort (the batch is counted; a later one does them)."""
        totals = totals_of(item)
        self._floors[owner] = totals.floor
        prune_watermarks(self.client, self.rollups_table, owner_key(owner), TOTALS_BUCKET, item, self.epoch())
        if len(totals.candidates) > CANDIDATES_MAX:
            try:
                self.trim(owner, shard_tag, item)
            except (DependencyUnavailable, ClientError):
                logger.warning("candidates not trimmed", extra={"owner": owner}, exc_info=True)

    def trim(self, owner: str, shard_tag: str, item: Mapping[str, object]) -> None:
        """Keep the CANDIDATES_KEEP candidates with most visits (read afresh; a deleted link's
        frozen counters item drops it), remove the others, each only if its entry is still what
        was read, and raise this shard's floor to the most visits removed. Folds the floors of
        other shards into this one (each only if unchanged). Best effort: a failed trim is made by
        a later batch."""
        totals = totals_of(item)
        fresh = self.counters(list(totals.candidates))
        ranked = sorted(
            totals.candidates,
            key=lambda key: (
                FROZEN not in fresh.get(key, {}),
                int(str(fresh.get(key, {}).get(VISITS, 0))),
            ),
            reverse=True,
        )
        removed = ranked[CANDIDATES_KEEP:]
        floor = max(
            [totals.floor]
            + [
                int(str(fresh.get(key, {}).get(VISITS, 0)))
                for key in removed
                if FROZEN not in fresh.get(key, {})
            ]
        )
        names: dict[str, str] = {"#f": FLOOR_PREFIX + shard_tag}
        values: dict[str, object] = {":f": floor}
        conditions, removes = [], []
        for i, key in enumerate(removed):
            names[f"#r{i}"], values[f":r{i}"] = CANDIDATE_PREFIX + key, totals.candidates[key]
            conditions.append(f"#r{i} = :r{i}")
            removes.append(f"#r{i}")
        others = [n for n in item if n.startswith(FLOOR_PREFIX) and n != FLOOR_PREFIX + shard_tag]
        for i, name in enumerate(others):
            names[f"#o{i}"], values[f":o{i}"] = name, item[name]
            conditions.append(f"#o{i} = :o{i}")
            removes.append(f"#o{i}")
        update: UpdateItemInputTypeDef = {
            "TableName": self.rollups_table,
            "Key": to_item({"key": owner_key(owner), "bucket": TOTALS_BUCKET}),
            "UpdateExpression": "SET #f = :f" + (" REMOVE " + ", ".join(removes) if removes else ""),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_item(values),
            "ReturnValues": "ALL_NEW",
        }
        if conditions:
            update["ConditionExpression"] = " AND ".join(conditions)
        try:
            with dependency_guard():
                answer = self.client.update_item(**update)
        except (DependencyUnavailable, ClientError):
            return  # changed meanwhile (or unreachable): a later batch trims
        self._floors[owner] = totals_of(from_item(answer.get("Attributes", {}))).floor


@lru_cache(maxsize=1)
def owners_table() -> OwnersTable:
    """The execution environment's one OwnersTable (built on first use, never at import)."""
    settings = get_settings()
    return OwnersTable(clients.dynamodb(), settings.rollups_table, margin=settings.owner_cut_margin)
