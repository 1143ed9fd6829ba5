"""POST /links/batch: up to 100 creates in a few transactions instead of 100 round trips.

Each item is validated and created on its own, as POST /links would (the same rules, the same
new-link fields, the same conditional Put that guards every key). What is shared is the trip:
items are written in TransactWriteItems of up to 100 actions (a pool claim is a Delete and a
Put, an alias or a key generated on the spot one Put). A transaction is all or nothing, so when
one is cancelled its reasons say which items failed; those get another key (or their answer,
409 for a taken alias) and the rest are sent again. The batch takes the instance's candidates
and one slice of the pool; keys beyond that are generated on the spot, as a single create does
when the pool is empty, and keygen is asked to refill.

If DynamoDB fails (after the SDK's retries and the lost-answer checks) before any link of the
batch was written, the whole request is a 503 to retry; after some were, the items that could
not be written answer 503 each, so that the created ones are not created twice by a retry.

With an Idempotency-Key, each transaction also writes its items' indexes and keys into the
request's record (one action of the 100); a replay after an attempt that died answers the links
that attempt wrote (``CreateRecord.earlier_links``) and creates the other items.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from snip.data.create_records import CreateRecord
from snip.data.dependency_guard import MAX_TRANSACTION_ITEMS
from snip.data.key_pool_table import KeyPoolTable
from snip.data.link_creation import CREATED, KEY_USED, POOL_CLAIMED, RETRY, LinkCreation, NewLink
from snip.domain.errors import AliasTaken, DependencyUnavailable, SnipError
from snip.domain.link import Link
from snip.domain.link_request import parse_link_request
from snip.operations.key_pool import MAX_DRAWS_PER_KEY, KeyPool
from snip.operations.owner_links import new_link_fields, view

MAX_ROUNDS = 6  # transactions sent again after cancellations, at most


def failure(error: SnipError) -> dict[str, object]:
    return {"error": error}  # its status and body are the HTTP layer's (snip.links_api.batch_routes)


def _transactions(
    writes: list[tuple[int, NewLink]], limit: int = MAX_TRANSACTION_ITEMS
) -> list[list[tuple[int, NewLink]]]:
    """The writes in request order, cut into transactions of at most ``limit`` actions."""
    chunks: list[list[tuple[int, NewLink]]] = []
    size = limit
    for entry in writes:
        if size + entry[1].actions > limit:
            chunks.append([])
            size = 0
        chunks[-1].append(entry)
        size += entry[1].actions
    return chunks


def create_batch(
    creation: LinkCreation,
    pool_table: KeyPoolTable,
    pool: KeyPool,
    owner: str,
    bodies: Sequence[object],
    base_url: str,
    own_hosts: Collection[str],
    record: CreateRecord | None = None,
) -> list[dict[str, object]]:
    """One result per body, in order: ``{"link": <the new link>}`` or ``{"error": <a SnipError>}``."""
    results: list[dict[str, object] | None] = [None] * len(bodies)
    if record is not None:
        for index, link in _earlier_links(creation, owner, record, len(bodies)).items():
            results[index] = {"link": view(link, base_url, detail=False)}
    writes: dict[int, NewLink] = {}
    generated: list[tuple[int, Link]] = []  # items that need a key
    aliases: set[str] = set()
    for index, body in enumerate(bodies):
        if results[index] is not None:  # written by an earlier attempt
            continue
        try:
            request = parse_link_request(body)
            fields = new_link_fields(owner, request, own_hosts)
        except SnipError as error:
            results[index] = failure(error)
            continue
        if request.alias is None:
            generated.append((index, fields))
        elif request.alias in aliases:  # an earlier item of this batch asks for it
            results[index] = failure(AliasTaken(f"The alias '{request.alias}' is taken."))
        else:
            aliases.add(request.alias)
            writes[index] = NewLink(fields.with_key(request.alias))
    used = set(aliases)  # no two writes of a transaction may touch one item
    pool_keys = [(s, k) for s, k in pool.take_keys(len(generated)) if k not in used]
    for (index, fields), (shard, key) in zip(generated, pool_keys, strict=False):
        writes[index] = NewLink(fields.with_key(key), shard)
        used.add(key)
    for index, fields in generated[len(pool_keys) :]:
        writes[index] = NewLink(fields.with_key(_fresh_key(pool, used)))

    created_any = False
    for attempt in range(MAX_ROUNDS):
        if not writes:
            break
        again: dict[int, NewLink] = {}
        limit = MAX_TRANSACTION_ITEMS - (record is not None)  # one action is the record's
        for chunk in _transactions(sorted(writes.items()), limit):
            try:
                outcomes = creation.create_links(
                    [write for _, write in chunk],
                    attempt=attempt,
                    record=record,
                    items=[index for index, _ in chunk],
                )
            except DependencyUnavailable as error:
                if not created_any:  # nothing done yet: the whole request is a 503 to retry
                    raise
                for index, _ in chunk:
                    results[index] = failure(error)
                continue
            for (index, write), outcome in zip(chunk, outcomes, strict=True):
                if outcome == CREATED:
                    results[index] = {"link": view(write.link, base_url, detail=False)}
                    created_any = True
                elif outcome == KEY_USED and write.key in aliases:
                    results[index] = failure(AliasTaken(f"The alias '{write.key}' is taken."))
                elif outcome == RETRY:
                    again[index] = write
                else:  # the key is gone or used: this item gets a key generated on the spot
                    if outcome == KEY_USED and write.shard is not None:
                        pool_table.discard_pool_key(write.shard, write.key)  # a stale pool entry
                    assert outcome in (KEY_USED, POOL_CLAIMED)
                    again[index] = NewLink(write.link.with_key(_fresh_key(pool, used)))
        writes = again
    for index in writes:
        results[index] = failure(DependencyUnavailable("The link could not be written; try again."))
    return [result for result in results if result is not None]


def _earlier_links(creation: LinkCreation, owner: str, record: CreateRecord, items: int) -> dict[int, Link]:
    """The links an earlier attempt of this batch wrote before it died, by item index."""
    earlier = {index: key for index, key in record.earlier_links.items() if 0 <= index < items}
    if not earlier:
        return {}
    found = creation.links.get_links(sorted(set(earlier.values())))
    return {index: found[key] for index, key in earlier.items() if key in found and found[key].owner == owner}


def _fresh_key(pool: KeyPool, used: set[str]) -> str:
    for _ in range(MAX_DRAWS_PER_KEY):  # a generator that only repeats itself must not spin
        key = pool.generate_key()
        if key is not None and key not in used:
            used.add(key)
            return key
    raise DependencyUnavailable("No free key could be found; try again.")
