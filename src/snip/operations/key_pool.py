"""The key pool: claiming a key for a new link (shorten); moving, sizing and refilling the pool (keygen)."""

from __future__ import annotations

import math
import random
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from snip.data.create_records import CreateRecord
from snip.data.dependency_guard import MAX_TRANSACTION_ITEMS
from snip.data.key_pool_table import KeyPoolTable
from snip.data.link_creation import LinkCreation
from snip.domain.errors import DependencyUnavailable, KeyClaimConflict, KeyTaken
from snip.domain.link import Link
from snip.domain.short_keys import BASE62, KeyGenerator, is_reserved, new_key, shard_of
from snip.settings import Settings

MAX_CLAIM_ATTEMPTS = 4  # candidates tried before falling back to a key generated on the spot
MAX_INLINE_ATTEMPTS = 5  # generated keys tried; a 7-character collision is ~1 in 3.5e12
REFILL_BATCH = MAX_TRANSACTION_ITEMS // 2  # each key is a Put plus a ConditionCheck
MAX_REFILL_ROUNDS = 100
MAX_DRAWS_PER_KEY = 20  # a generator that only repeats itself must not spin forever
MOVE_BATCH = MAX_TRANSACTION_ITEMS // 3  # each move is a Delete, a Put and a ConditionCheck
SLICE_FACTOR = 3  # a candidate load reads 3x the candidates it keeps (see KeyPool._load_candidates)

# The pool's size follows demand (see ``plan_sizing``).
DEMAND_HORIZON = 90.0  # seconds of demand the pool holds: a scheduled run's interval and a half
RATE_DECAY = 0.5  # each run that sees less demand keeps at least half the rate it remembered
STARVED = 0.1  # a run that finds less than 10% of the last target left doubles the target
GROWTH_LIMIT = 20  # the target never exceeds 20 x the configured target (its floor)
MAX_ADDED_PER_RUN = REFILL_BATCH * MAX_REFILL_ROUNDS // 2  # keys written by one run, at most
MAX_TRIMMED_PER_RUN = 500  # surplus keys deleted by one run, at most (one DeleteItem each)


@dataclass(frozen=True)
class Claim:
    key: str
    conflicts: int  # claim transactions lost to another instance
    fallback: bool  # the pool had nothing for us: the key was generated on the spot


class KeyPool:
    """One instance's view of the pool: a few candidate keys in memory, refilled by one query.

    Each refill reads a random slice (random shard, random starting key) so that concurrent
    instances hold different candidates; the claim transaction decides, the cache only helps.
    """

    def __init__(
        self,
        pool_table: KeyPoolTable,
        creation: LinkCreation,
        settings: Settings,
        request_refill: Callable[[], None],
        generate: KeyGenerator = new_key,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pool_table = pool_table
        self._creation = creation
        self._settings = settings
        self._request_refill = request_refill
        self._generate = generate
        self._monotonic = monotonic
        self._candidates: list[tuple[int, str]] = []  # (the shard it was read from, key)
        self._last_refill_request: float | None = None

    @property
    def candidates(self) -> tuple[str, ...]:
        return tuple(key for _, key in self._candidates)

    def warm(self) -> None:
        if not self._candidates:
            self._load_candidates()

    def _load_candidates(self) -> None:
        """A random subset of one slice of a random shard; the next shards only if it is empty.

        The slice starts at a random two-character key and holds ``SLICE_FACTOR`` times the
        candidates we keep, so two instances that read overlapping slices still rarely keep the
        same keys (one Query either way: the keys are a few bytes each). Each candidate remembers
        the shard it was read from: that is where it is claimed, whatever ``pool_shards`` says now.
        """
        shards = self._settings.pool_shards
        first = secrets.randbelow(shards)
        start = secrets.choice(BASE62) + secrets.choice(BASE62)
        wanted = self._settings.candidates
        self._candidates = []
        keys: list[str] = []
        for offset in range(shards):
            shard = (first + offset) % shards
            keys = self._unreserved(
                shard, self._pool_table.candidate_keys(shard, start, wanted * SLICE_FACTOR, enough=wanted)
            )
            if keys:
                kept = random.SystemRandom().sample(keys, min(wanted, len(keys)))
                self._candidates = [(shard, key) for key in kept]
                break
        if len(keys) < wanted:
            self.ask_for_refill()

    def _unreserved(self, shard: int, keys: list[str]) -> list[str]:
        """Pool keys without the reserved words. One written before its word was reserved (as
        "summary" became, for /links/summary) is never given to a link: it leaves the pool."""
        for key in keys:
            if is_reserved(key):
                self._pool_table.discard_pool_key(shard, key)
        return [key for key in keys if not is_reserved(key)]

    def ask_for_refill(self) -> None:
        """Ask keygen to refill, at most once per ``refill_request_interval`` per instance."""
        now = self._monotonic()
        last = self._last_refill_request
        if last is not None and now - last < self._settings.refill_request_interval:
            return
        self._last_refill_request = now
        self._request_refill()

    def take_keys(self, count: int) -> list[tuple[int, str]]:
        """Up to ``count`` pool keys (shard, key) for a batch, to claim in its transactions.

        The candidates in memory first, then one Query of a random slice for the rest; if the
        pool gave fewer, keygen is asked to refill and the caller generates the others on the
        spot (``generate_key``). A batch never drains the pool by more than that one slice, so
        that the single creates around it keep their keys.
        """
        taken = self._candidates[:count]
        del self._candidates[:count]
        missing = count - len(taken)
        if missing > 0:
            shard = secrets.randbelow(self._settings.pool_shards)
            start = secrets.choice(BASE62) + secrets.choice(BASE62)
            seen = {key for _, key in taken}
            taken += [
                (shard, key)
                for key in self._unreserved(shard, self._pool_table.candidate_keys(shard, start, missing))
                if key not in seen
            ]
            if len(taken) < count:
                self.ask_for_refill()
        return taken

    def generate_key(self) -> str | None:
        """A key generated on the spot (written with the conditional put that guards every link),
        or None when the generator drew a reserved word: the caller draws again."""
        key = self._generate(self._settings.key_length)
        return None if is_reserved(key) else key

    def claim(self, make_link: Callable[[str], Link], record: CreateRecord | None = None) -> Claim:
        """Create the link returned by ``make_link(key)`` under a fresh key, and return it (an
        idempotent create's ``record`` learns the key with the link)."""
        conflicts = 0
        for _ in range(MAX_CLAIM_ATTEMPTS):
            if not self._candidates:
                self._load_candidates()
                if not self._candidates:
                    break
            shard, key = self._candidates.pop(secrets.randbelow(len(self._candidates)))
            try:
                self._creation.claim_key(shard, key, make_link(key), record)
                return Claim(key, conflicts, fallback=False)
            except KeyClaimConflict as conflict:
                conflicts += 1
                if conflict.reason == "used":  # a stale pool entry: a link has it already
                    self._pool_table.discard_pool_key(shard, key)
        # Nothing usable in the pool for us: never fail the create, generate a key here with
        # the same conditional put that guards every link, and ask keygen to refill.
        self.ask_for_refill()
        for _ in range(MAX_INLINE_ATTEMPTS):
            fresh = self.generate_key()
            if fresh is None:
                continue
            try:
                self._creation.put_link(make_link(fresh), record)
                return Claim(fresh, conflicts, fallback=True)
            except KeyTaken:
                conflicts += 1
        raise DependencyUnavailable("No free key could be found; try again.")


@dataclass(frozen=True)
class Sizing:
    """What keygen remembers between runs (in the keys table, see ``KeyPoolTable.save_pool_sizing``)."""

    size: int  # keys in the live shards when the last run ended
    at: float  # when it ended (epoch seconds: runs may be in different execution environments)
    rate: float  # keys claimed per second, smoothed
    target: int  # the target that run chose

    @classmethod
    def read(cls, stored: Mapping[str, float] | None) -> Sizing | None:
        if not stored or not {"size", "at", "rate", "target"} <= stored.keys():
            return None
        return cls(int(stored["size"]), stored["at"], stored["rate"], int(stored["target"]))


def plan_sizing(last: Sizing | None, size: int, now: float, settings: Settings) -> tuple[float, int]:
    """The claim rate seen since the last run, smoothed, and the target that covers it.

    Keys taken = the size the last run left minus the size now (claims are the only thing
    that removes keys between runs). A rise is followed at once; a fall at most halves the
    remembered rate per run, so that a pause between bursts does not empty the pool, and an idle
    pool comes back to the configured target within a few scheduled runs. A run that finds the
    pool nearly dry doubles the last target instead if that is more (the creates that fell back
    took no pool key, so the rate seen is below the real one). The target holds
    ``DEMAND_HORIZON`` seconds of the rate, at least the configured target and at most
    ``GROWTH_LIMIT`` times it; the rate remembered is the one the target stands for.
    """
    floor, ceiling = settings.pool_target, settings.pool_target * GROWTH_LIMIT
    rate = 0.0
    if last is not None:
        elapsed = max(now - last.at, 1.0)
        seen = max(last.size - size, 0) / elapsed
        rate = seen if seen >= last.rate else max(seen, last.rate * RATE_DECAY)
        if size < last.target * STARVED:
            rate = max(rate, 2 * last.target / DEMAND_HORIZON)
    rate = min(rate, ceiling / DEMAND_HORIZON)
    target = math.ceil(round(rate * DEMAND_HORIZON, 6))
    return rate, min(max(target, floor), ceiling)


@dataclass(frozen=True)
class Refill:
    pool_before: int  # keys in the live shards, before this run
    added: int
    collisions: int
    transactions: int
    target: int = 0  # this run's target (plan_sizing)
    moved: int = 0  # keys moved out of a shard their hash no longer names
    trimmed: int = 0  # surplus keys removed once the demand had gone

    @property
    def pool_after(self) -> int:
        return self.pool_before + self.added - self.trimmed


def shard_deficits(sizes: Mapping[int, int], shards: int, target: int) -> dict[int, int]:
    """How many keys each shard should get to bring the pool back to ``target``.

    Claimers drain random shards, so shards drift apart; the refill goes to the emptiest shards
    first, so that no shard runs dry while the pool as a whole looks healthy.
    """
    missing = target - sum(sizes.get(s, 0) for s in range(shards))
    share = -(-target // shards)  # ceil: each shard's fair share
    deficits = {s: share - sizes.get(s, 0) for s in range(shards)}
    plan: dict[int, int] = {}
    for shard in sorted(deficits, key=deficits.__getitem__, reverse=True):
        take = min(deficits[shard], missing)
        if take <= 0:
            break
        plan[shard] = take
        missing -= take
    return plan


def rehome_keys(
    pool_table: KeyPoolTable, keys: Mapping[int, list[str]], shards: int
) -> tuple[dict[int, int], int]:
    """Move every key that is not in the shard its hash names (``pool_shards`` changed) there.

    Returns the keys per live shard afterwards and how many moved. A key that cannot move
    because a link has it, or because it is in its own shard already, loses its old copy; one
    that another request is writing stays where it is until the next run (claimers still find
    it there: each claims at the shard it read the key from).
    """
    sizes = dict.fromkeys(range(shards), 0)
    moves: dict[str, tuple[int, int]] = {}
    for shard, found in keys.items():
        for key in found:
            home = shard_of(key, shards)
            if home == shard:
                sizes[shard] += 1
            else:
                moves[key] = (shard, home)
    moved = 0
    pending = list(moves)
    while pending:
        batch = {key: moves[key] for key in pending[:MOVE_BATCH]}
        stale, busy = pool_table.move_pool_keys(batch)
        for key in stale:
            pool_table.discard_pool_key(batch[key][0], key)
        if stale or busy:  # nothing of this batch was written: again without them
            pending = [key for key in pending if key not in stale and key not in busy]
            for key in busy:  # still claimable where it is, if that shard is live
                if moves[key][0] in sizes:
                    sizes[moves[key][0]] += 1
            continue
        for _, new in batch.values():
            sizes[new] += 1
        moved += len(batch)
        pending = pending[len(batch) :]
    return sizes, moved


def refill_pool(
    pool_table: KeyPoolTable,
    settings: Settings,
    generate: KeyGenerator = new_key,
    clock: Callable[[], float] = time.time,
) -> Refill:
    """Bring the pool to the size its demand needs: rehome, size, then top up or trim.

    1. Keys left in a shard their hash does not name (after a change of ``pool_shards``) move
       to their shard, so that only live shards (0 .. pool_shards - 1) hold keys and count.
    2. ``plan_sizing`` turns the claims seen since the last run into this run's target.
    3. Below ``refill_ratio * target``: top up to the target, in batches of up to 50 keys per
       transaction, each checked against the pool and the links table in the same request; a
       key that collides is dropped and replaced. Two runs that overlap both write what they
       counted as missing, so the pool overshoots by at most that and never holds a duplicate.
       Once the demand has gone (no key taken since the last run), keys above the target are
       removed, so that an idle pool comes back to its configured size.
    """
    contents = pool_table.pool_contents()
    sizes, moved = rehome_keys(pool_table, contents.keys, settings.pool_shards)
    size = sum(sizes.values())
    last = Sizing.read(contents.sizing)
    rate, target = plan_sizing(last, size, clock(), settings)
    added = collisions = transactions = trimmed = 0
    if size < target * settings.pool_refill_ratio:
        added, collisions, transactions = _top_up(pool_table, settings, generate, sizes, target)
    elif last is not None and size > target and size >= last.size:
        trimmed = _trim(pool_table, contents.keys, settings.pool_shards, size - target)
    refill = Refill(size, added, collisions, transactions, target, moved, trimmed)
    if last is None or (refill.pool_after, rate, target) != (last.size, last.rate, last.target):
        # Unchanged (an idle pool): no write, and the next run measures from the last one.
        pool_table.save_pool_sizing(
            {"size": refill.pool_after, "at": clock(), "rate": rate, "target": target}
        )
    return refill


def _top_up(
    pool_table: KeyPoolTable,
    settings: Settings,
    generate: KeyGenerator,
    sizes: Mapping[int, int],
    target: int,
) -> tuple[int, int, int]:
    wanted = shard_deficits(sizes, settings.pool_shards, target)  # shard -> keys still to add there
    missing = min(sum(wanted.values()), MAX_ADDED_PER_RUN)
    added = collisions = transactions = draws = 0
    batch: dict[str, int] = {}
    rejected: set[str] = set()
    max_draws = MAX_DRAWS_PER_KEY * settings.pool_shards * missing
    while added < missing:
        batch_size = min(REFILL_BATCH, missing - added)
        while len(batch) < batch_size:
            draws += 1
            if draws > max_draws or transactions >= MAX_REFILL_ROUNDS:
                raise DependencyUnavailable("The key pool could not be refilled; try again.")
            key = generate(settings.key_length)
            shard = shard_of(key, settings.pool_shards)
            fresh = key not in rejected and key not in batch and not is_reserved(key)
            if fresh and wanted.get(shard, 0) > 0:
                batch[key] = shard
                wanted[shard] -= 1
        clashes = pool_table.add_pool_keys(batch)
        transactions += 1
        if clashes:
            collisions += len(clashes)
            rejected |= clashes
            for key in clashes:
                wanted[batch.pop(key)] += 1
            continue
        added += len(batch)
        batch = {}
    return added, collisions, transactions


def _trim(pool_table: KeyPoolTable, keys: Mapping[int, list[str]], shards: int, surplus: int) -> int:
    """Remove up to ``surplus`` keys (at most ``MAX_TRIMMED_PER_RUN``), from the fullest shards.

    These are unused keys, never given to a link: dropping them loses nothing. A claimer that
    holds one as a candidate loses that claim ("claimed") and takes another.
    """
    live = {shard: [k for k in found if shard_of(k, shards) == shard] for shard, found in keys.items()}
    surplus = min(surplus, MAX_TRIMMED_PER_RUN)
    trimmed = 0
    while trimmed < surplus:
        shard = max(live, key=lambda s: len(live[s]))
        if not live[shard]:
            break
        pool_table.discard_pool_key(shard, live[shard].pop())
        trimmed += 1
    return trimmed
