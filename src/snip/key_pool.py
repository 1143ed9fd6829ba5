"""The key pool: claiming a key for a new link (shorten) and refilling the pool (keygen)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from snip.errors import DependencyUnavailable, KeyClaimConflict, KeyTaken
from snip.keys import BASE62, KeyGenerator, new_key, shard_of
from snip.settings import Settings
from snip.store import MAX_TRANSACTION_ITEMS, Store

MAX_CLAIM_ATTEMPTS = 4  # candidates tried before falling back to a key generated on the spot
MAX_INLINE_ATTEMPTS = 5  # generated keys tried; a 7-character collision is ~1 in 3.5e12
REFILL_BATCH = MAX_TRANSACTION_ITEMS // 2  # each key is a Put plus a ConditionCheck
MAX_REFILL_ROUNDS = 100
MAX_DRAWS_PER_KEY = 20  # a generator that only repeats itself must not spin forever


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
        store: Store,
        settings: Settings,
        request_refill: Callable[[], None],
        generate: KeyGenerator = new_key,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._settings = settings
        self._request_refill = request_refill
        self._generate = generate
        self._monotonic = monotonic
        self._candidates: list[str] = []
        self._last_refill_request: float | None = None

    @property
    def candidates(self) -> tuple[str, ...]:
        return tuple(self._candidates)

    def warm(self) -> None:
        if not self._candidates:
            self._load_candidates()

    def _load_candidates(self) -> None:
        """One slice of a random shard; the next shards only if that one is empty."""
        shards = self._settings.pool_shards
        first = secrets.randbelow(shards)
        start = secrets.choice(BASE62)
        wanted = self._settings.candidates
        for offset in range(shards):
            self._candidates = self._store.candidate_keys((first + offset) % shards, start, wanted)
            if self._candidates:
                break
        if len(self._candidates) < wanted:
            self.ask_for_refill()

    def ask_for_refill(self) -> None:
        """Ask keygen to refill, at most once per ``refill_request_interval`` per instance."""
        now = self._monotonic()
        last = self._last_refill_request
        if last is not None and now - last < self._settings.refill_request_interval:
            return
        self._last_refill_request = now
        self._request_refill()

    def claim(self, make_link: Callable[[str], Mapping[str, Any]]) -> Claim:
        """Create the link returned by ``make_link(key)`` under a fresh key, and return it."""
        conflicts = 0
        for _ in range(MAX_CLAIM_ATTEMPTS):
            if not self._candidates:
                self._load_candidates()
                if not self._candidates:
                    break
            key = self._candidates.pop(secrets.randbelow(len(self._candidates)))
            shard = shard_of(key, self._settings.pool_shards)
            try:
                self._store.claim_key(shard, key, make_link(key))
                return Claim(key, conflicts, fallback=False)
            except KeyClaimConflict as conflict:
                conflicts += 1
                if conflict.reason == "used":  # a stale pool entry: a link has it already
                    self._store.discard_pool_key(shard, key)
        # Nothing usable in the pool for us: never fail the create, generate a key here with
        # the same conditional put that guards every link, and ask keygen to refill.
        self.ask_for_refill()
        for _ in range(MAX_INLINE_ATTEMPTS):
            key = self._generate(self._settings.key_length)
            try:
                self._store.put_link(make_link(key))
                return Claim(key, conflicts, fallback=True)
            except KeyTaken:
                conflicts += 1
        raise DependencyUnavailable("No free key could be found; try again.")


@dataclass(frozen=True)
class Refill:
    pool_before: int
    added: int
    collisions: int
    transactions: int

    @property
    def pool_after(self) -> int:
        return self.pool_before + self.added


def shard_deficits(sizes: Mapping[int, int], settings: Settings) -> dict[int, int]:
    """How many keys each shard should get to bring the pool back to its target.

    Claimers drain random shards, so shards drift apart; the refill goes to the emptiest shards
    first, so that no shard runs dry while the pool as a whole looks healthy.
    """
    shards = settings.pool_shards
    missing = settings.pool_target - sum(sizes.values())
    share = -(-settings.pool_target // shards)  # ceil: each shard's fair share
    deficits = {s: share - sizes.get(s, 0) for s in range(shards)}
    plan: dict[int, int] = {}
    for shard in sorted(deficits, key=deficits.__getitem__, reverse=True):
        take = min(deficits[shard], missing)
        if take <= 0:
            break
        plan[shard] = take
        missing -= take
    return plan


def refill_pool(store: Store, settings: Settings, generate: KeyGenerator = new_key) -> Refill:
    """Top the pool up to its target when it has fallen below ``refill_ratio * target``.

    Keys go in batches of up to 50 per transaction, each checked against the pool and the
    links table in the same request; a key that collides is dropped and replaced. Two runs that
    overlap both write what they counted as missing, so the pool overshoots by at most that
    one batch and never holds a duplicate (the conditional puts forbid it).
    """
    sizes = store.pool_sizes()
    size = sum(sizes.values())
    if size >= settings.pool_target * settings.pool_refill_ratio:
        return Refill(size, 0, 0, 0)
    wanted = shard_deficits(sizes, settings)  # shard -> keys still to add there
    missing = sum(wanted.values())
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
            if key not in rejected and key not in batch and wanted.get(shard, 0) > 0:
                batch[key] = shard
                wanted[shard] -= 1
        clashes = store.add_pool_keys(batch)
        transactions += 1
        if clashes:
            collisions += len(clashes)
            rejected |= clashes
            for key in clashes:
                wanted[batch.pop(key)] += 1
            continue
        added += len(batch)
        batch = {}
    return Refill(size, added, collisions, transactions)
