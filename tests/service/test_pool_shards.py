"""The key pool when ``SNIP_POOL_SHARDS`` changes under a filled pool (issue 9, section 3).

Claims go to the shard a key was read from; keygen counts and refills live shards only
(0 .. pool_shards - 1) and moves every key that is not in the shard its hash names.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from snip.data.key_pool_table import PoolContents
from snip.domain.errors import KeyClaimConflict
from snip.domain.link import Link
from snip.domain.short_keys import shard_of
from snip.execution import environment
from snip.operations.key_pool import KeyPool, refill_pool
from snip.settings import DEFAULT_TABLES, Env, get_settings
from tests.service.conftest import Call, LambdaContext, new_instance, scan
from tests.service.test_links_api import create

KEYS = DEFAULT_TABLES[Env.KEYS_TABLE]
LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
SCHEDULED = {"source": "aws.events", "detail-type": "Scheduled Event"}


def pool_items(dynamodb: Any) -> list[tuple[int, str]]:
    """(shard, key) of every pool item but keygen's sizing item."""
    items = [(int(i["shard"]["N"]), i["key"]["S"]) for i in scan(dynamodb, KEYS)]
    return [(shard, key) for shard, key in items if shard >= 0]


def link_keys(dynamodb: Any) -> list[str]:
    return [i["key"]["S"] for i in scan(dynamodb, LINKS)]


def use_shards(monkeypatch: pytest.MonkeyPatch, shards: int) -> None:
    """A deploy with another SNIP_POOL_SHARDS: every execution environment starts afresh."""
    monkeypatch.setenv(Env.POOL_SHARDS, str(shards))
    new_instance()


def assert_pool_is_sound(dynamodb: Any, shards: int) -> None:
    items = pool_items(dynamodb)
    keys = Counter(key for _, key in items)
    assert [key for key, n in keys.items() if n > 1] == [], "a key is in two shards"
    assert all(shard == shard_of(key, shards) for shard, key in items), "a key outside its shard"
    assert sum(environment.key_pool_table().pool_sizes().values()) == len(items)
    assert not set(keys) & set(link_keys(dynamodb)), "a pool key is a link already"


@pytest.mark.parametrize(("before", "after"), [(2, 8), (8, 2)])
def test_a_filled_pool_keeps_serving_after_the_shard_count_changes(
    handlers: dict[str, Any],
    call: Call,
    dynamodb: Any,
    monkeypatch: pytest.MonkeyPatch,
    before: int,
    after: int,
) -> None:
    use_shards(monkeypatch, before)
    handlers["keygen"](SCHEDULED, LambdaContext())
    filled = {key for _, key in pool_items(dynamodb)}
    assert len(filled) == 50

    use_shards(monkeypatch, after)
    result = handlers["keygen"](SCHEDULED, LambdaContext())
    assert filled <= {key for _, key in pool_items(dynamodb)}, "a key was lost in the move"
    assert result["pool_before"] == 50  # every key counted once, in a live shard
    assert_pool_is_sound(dynamodb, after)

    claimed = []
    for _ in range(60):  # more than the pool held: keygen refills between creates, as scheduled
        in_pool = {key for _, key in pool_items(dynamodb)}
        key = create(call)["key"]
        assert key in in_pool, "the create fell back to a key generated on the spot"
        claimed.append(key)
        handlers["keygen"](SCHEDULED, LambdaContext())
    assert len(set(claimed)) == 60
    assert sorted(link_keys(dynamodb)) == sorted(claimed)
    assert_pool_is_sound(dynamodb, after)


def test_keys_in_shards_no_longer_read_are_not_counted_until_moved(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """8 -> 2: before the move, 6 of 8 shards are out of every claimer's reach."""
    use_shards(monkeypatch, 8)
    refill_pool(environment.key_pool_table(), get_settings())
    stranded = sum(1 for shard, _ in pool_items(dynamodb) if shard >= 2)
    assert stranded > 20  # ~3/4 of 50
    use_shards(monkeypatch, 2)
    refill = refill_pool(environment.key_pool_table(), get_settings())
    assert refill.moved == stranded
    assert (refill.pool_before, refill.added) == (50, 0)  # counted in their new shards: no refill
    assert {shard for shard, _ in pool_items(dynamodb)} == {0, 1}


def test_a_claim_goes_to_the_shard_the_key_was_read_from(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An instance that read its candidates before keygen moved them still claims them."""
    use_shards(monkeypatch, 2)
    refill_pool(environment.key_pool_table(), get_settings())
    use_shards(monkeypatch, 8)  # keygen has not run yet: keys sit in shards 0 and 1
    pool = KeyPool(environment.key_pool_table(), environment.link_creation(), get_settings(), lambda: None)
    claims = [pool.claim(lambda key: Link(key, url="https://e.com", owner="o")) for _ in range(20)]
    assert [c for c in claims if c.fallback or c.conflicts] == []


def test_a_claimer_that_read_a_moved_key_loses_it_and_the_key_is_issued_once(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_shards(monkeypatch, 8)
    refill_pool(environment.key_pool_table(), get_settings())
    store = environment.key_pool_table()
    shard = next(s for s in range(2, 8) if store.candidate_keys(s, "0", 1))
    key = store.candidate_keys(shard, "0", 1)[0]  # read by an instance that still runs with 8

    use_shards(monkeypatch, 2)
    refill_pool(environment.key_pool_table(), get_settings())  # moves it to shard_of(key, 2)
    with pytest.raises(KeyClaimConflict) as lost:
        environment.link_creation().claim_key(shard, key, Link(key, url="https://e.com", owner="old"))
    assert lost.value.reason == "claimed"
    environment.link_creation().claim_key(shard_of(key, 2), key, Link(key, url="https://e.com", owner="new"))
    assert link_keys(dynamodb) == [key]
    assert key not in {k for _, k in pool_items(dynamodb)}


def test_a_key_claimed_between_keygen_count_and_move_is_dropped_not_moved(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: keygen read the key in its old shard, then a claimer took it from there."""
    use_shards(monkeypatch, 8)
    refill_pool(environment.key_pool_table(), get_settings())
    store = environment.key_pool_table()
    read_before = store.pool_contents()
    shard = next(s for s in range(2, 8) if read_before.keys.get(s))
    key = read_before.keys[shard][0]
    environment.link_creation().claim_key(shard, key, Link(key, url="https://e.com", owner="o"))

    class ReadBefore:
        def __getattr__(self, name: str) -> Any:
            return getattr(store, name)

        def pool_contents(self) -> PoolContents:
            return read_before

    use_shards(monkeypatch, 2)
    refill_pool(ReadBefore(), get_settings())  # type: ignore[arg-type]
    assert key not in {k for _, k in pool_items(dynamodb)}, "a key a link has went back into the pool"
    assert link_keys(dynamodb) == [key]
    assert_pool_is_sound(dynamodb, 2)
