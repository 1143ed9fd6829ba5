"""keygen: CONTRACT §3 — threshold, batching, collisions, overlapping runs."""

from __future__ import annotations

import dataclasses
import itertools
import re
from typing import Any

import pytest

from snip.data.key_pool_table import PoolContents
from snip.domain.short_keys import new_key, shard_of
from snip.execution import environment
from snip.operations.key_pool import refill_pool
from snip.settings import DEFAULT_TABLES, Env, get_settings
from tests.service.conftest import LambdaContext, new_instance, scan

KEYS = DEFAULT_TABLES[Env.KEYS_TABLE]
LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
SCHEDULED = {"source": "aws.events", "detail-type": "Scheduled Event"}


def pool_items(dynamodb: Any) -> list[dict[str, Any]]:
    """The pool's keys, without keygen's sizing item (shard -1)."""
    return [item for item in scan(dynamodb, KEYS) if int(item["shard"]["N"]) >= 0]


def pool_keys(dynamodb: Any) -> list[str]:
    return [item["key"]["S"] for item in pool_items(dynamodb)]


def seed_pool(dynamodb: Any, count: int) -> None:
    shards = get_settings().pool_shards
    for _ in range(count):
        key = new_key(7)
        dynamodb.put_item(
            TableName=KEYS, Item={"shard": {"N": str(shard_of(key, shards))}, "key": {"S": key}}
        )


def test_scheduled_run_fills_an_empty_pool_to_target(handlers: dict, dynamodb: Any) -> None:
    result = handlers["keygen"](SCHEDULED, LambdaContext())
    assert result == {"pool_before": 0, "added": 50, "pool_after": 50, "target": 50}
    keys = pool_keys(dynamodb)
    assert len(keys) == len(set(keys)) == 50
    assert all(re.fullmatch(r"[0-9A-Za-z]{7}", k) for k in keys)


def test_items_live_in_the_shard_their_key_hashes_to(handlers: dict, dynamodb: Any) -> None:
    handlers["keygen"](SCHEDULED, LambdaContext())
    shards = get_settings().pool_shards
    items = pool_items(dynamodb)
    assert {int(i["shard"]["N"]) for i in items} == set(range(shards))  # spread over all
    assert all(int(i["shard"]["N"]) == shard_of(i["key"]["S"], shards) for i in items)


def test_on_demand_invocation_refills_too(handlers: dict, dynamodb: Any) -> None:
    result = handlers["keygen"]({"source": "snip.shorten", "detail-type": "refill"}, LambdaContext())
    assert result["pool_after"] == 50


@pytest.mark.parametrize(("present", "added"), [(35, 0), (34, 16), (49, 0), (0, 50)])
def test_refills_only_below_ratio_times_target(dynamodb: Any, present: int, added: int) -> None:
    seed_pool(dynamodb, present)
    refill = refill_pool(environment.key_pool_table(), get_settings())
    assert refill.added == added
    assert len(pool_keys(dynamodb)) == present + added


def test_target_ratio_and_length_come_from_settings(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(Env.POOL_TARGET, "120")
    monkeypatch.setenv(Env.POOL_REFILL_RATIO, "0.5")
    monkeypatch.setenv(Env.KEY_LENGTH, "9")
    new_instance()
    seed_pool(dynamodb, 59)
    refill = refill_pool(environment.key_pool_table(), get_settings())
    assert refill.added == 61
    assert sum(len(k) == 9 for k in pool_keys(dynamodb)) == 61


def test_a_refill_of_35_keys_takes_a_handful_of_requests(dynamodb: Any, requests_made: list[str]) -> None:
    seed_pool(dynamodb, 15)
    refill = refill_pool(environment.key_pool_table(), get_settings())
    assert refill.added == 35
    assert requests_made == ["Scan", "TransactWriteItems", "PutItem"]  # the last: keygen's sizing


def test_a_key_already_in_the_pool_is_dropped_and_replaced(dynamodb: Any) -> None:
    seed_pool(dynamodb, 34)
    existing = pool_keys(dynamodb)[0]
    fresh = (new_key(7) for _ in itertools.count())
    repeats = itertools.chain([existing, existing], fresh)
    refill = refill_pool(environment.key_pool_table(), get_settings(), generate=lambda _: next(repeats))
    assert refill.collisions == 1
    keys = pool_keys(dynamodb)
    assert len(keys) == len(set(keys)) == 50


def test_a_key_used_by_a_link_is_never_put_in_the_pool(dynamodb: Any) -> None:
    dynamodb.put_item(TableName=LINKS, Item={"key": {"S": "Used123"}, "deleted_at": {"S": "x"}})
    fresh = (new_key(7) for _ in itertools.count())
    keys = itertools.chain(["Used123"], fresh)
    refill = refill_pool(environment.key_pool_table(), get_settings(), generate=lambda _: next(keys))
    assert refill.collisions == 1
    assert "Used123" not in pool_keys(dynamodb)
    assert refill.added == 50


def test_a_generator_that_only_repeats_fails_instead_of_spinning(dynamodb: Any) -> None:
    from snip.domain.errors import DependencyUnavailable

    seed_pool(dynamodb, 0)
    with pytest.raises(DependencyUnavailable):
        refill_pool(environment.key_pool_table(), get_settings(), generate=lambda _: "Same123")


def test_large_refills_go_in_batches_of_50(
    dynamodb: Any, requests_made: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(Env.POOL_TARGET, "130")
    new_instance()
    from snip.data import clients

    made: list[int] = []
    clients.dynamodb().meta.events.register(
        "before-parameter-build.dynamodb.TransactWriteItems",
        lambda params, **_: made.append(len(params["TransactItems"])),
    )
    assert refill_pool(environment.key_pool_table(), get_settings()).added == 130
    assert made == [100, 100, 60]  # a Put and a ConditionCheck per key


def test_overlapping_runs_never_duplicate_and_overshoot_by_at_most_one_batch(
    dynamodb: Any,
) -> None:
    """Two runs that both counted the same pool: the second writes after the first.

    DynamoDB serializes the transactions; the interleaving (both scans before either write)
    is injected by letting run A count, then running B to completion, then finishing A.
    """
    seed_pool(dynamodb, 30)
    store = environment.key_pool_table()
    settings = get_settings()
    first_count = store.pool_contents()

    class CountedBefore:
        """Store whose pool_contents() answers what it read before the other run wrote."""

        def __getattr__(self, name: str) -> Any:
            return getattr(store, name)

        def pool_contents(self) -> PoolContents:
            return first_count

    refill_pool(store, settings)  # run B completes: 30 -> 50
    run_a = refill_pool(CountedBefore(), settings)  # type: ignore[arg-type]
    keys = pool_keys(dynamodb)
    assert len(keys) == len(set(keys))
    assert run_a.added == 20
    assert len(keys) <= settings.pool_target + min(50, settings.pool_target)


def test_refill_report_is_consistent(dynamodb: Any) -> None:
    refill = refill_pool(environment.key_pool_table(), get_settings())
    assert dataclasses.asdict(refill) == {
        "pool_before": 0,
        "added": 50,
        "collisions": 0,
        "transactions": 1,
        "target": 50,
        "moved": 0,
        "trimmed": 0,
    }
    assert refill.pool_after == 50


def seed_shard(dynamodb: Any, shard: int, count: int) -> None:
    shards = get_settings().pool_shards
    while count:
        key = new_key(7)
        if shard_of(key, shards) == shard:
            dynamodb.put_item(TableName=KEYS, Item={"shard": {"N": str(shard)}, "key": {"S": key}})
            count -= 1


def test_refill_goes_to_the_emptiest_shards(dynamodb: Any) -> None:
    """Claimers drain random shards; a refill must not leave one of them dry."""
    seed_shard(dynamodb, 0, 30)  # shard 1 is empty, the pool (30) is below 35
    refill = refill_pool(environment.key_pool_table(), get_settings())
    assert refill.added == 20
    per_shard = environment.key_pool_table().pool_sizes()
    assert per_shard == {0: 30, 1: 20}


def test_shard_deficits_fill_up_to_the_target_only() -> None:
    from snip.operations.key_pool import shard_deficits

    assert shard_deficits({0: 40}, 2, 50) == {1: 10}
    assert shard_deficits({0: 10, 1: 5}, 2, 50) == {1: 20, 0: 15}
    assert shard_deficits({}, 2, 50) == {0: 25, 1: 25}
    assert shard_deficits({0: 10, 1: 5, 7: 30}, 2, 50) == {1: 20, 0: 15}  # shard 7 is not live


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def take(dynamodb: Any, count: int) -> None:
    """Claims, as far as keygen can tell: keys leave the pool."""
    for item in pool_items(dynamodb)[:count]:
        dynamodb.delete_item(TableName=KEYS, Key={"shard": item["shard"], "key": item["key"]})


def test_the_pool_grows_with_the_claims_and_returns_to_its_floor_when_they_stop(dynamodb: Any) -> None:
    store, settings, clock = environment.key_pool_table(), get_settings(), Clock()
    assert refill_pool(store, settings, clock=clock).pool_after == 50
    take(dynamodb, 40)  # 40 claims in 10 s: 4 keys/s
    clock.now += 10
    grown = refill_pool(store, settings, clock=clock)
    assert (grown.target, grown.pool_after) == (360, 360)  # 90 s of 4 keys/s
    assert len(pool_keys(dynamodb)) == 360

    targets, sizes = [], []
    for _ in range(8):  # the load stops; keygen's schedule goes on
        clock.now += 60
        quiet = refill_pool(store, settings, clock=clock)
        targets.append(quiet.target)
        sizes.append(len(pool_keys(dynamodb)))
    assert targets[:3] == [180, 90, 50]
    assert targets[-1] == sizes[-1] == 50
    assert sizes == targets  # the surplus is removed as the target falls


def test_a_pool_at_rest_costs_one_scan_per_run(dynamodb: Any, requests_made: list[str]) -> None:
    store, settings, clock = environment.key_pool_table(), get_settings(), Clock()
    refill_pool(store, settings, clock=clock)
    requests_made.clear()
    clock.now += 60
    refill_pool(store, settings, clock=clock)
    assert requests_made == ["Scan"]


def test_the_sizing_item_is_invisible_to_claimers_and_counts(dynamodb: Any) -> None:
    refill_pool(environment.key_pool_table(), get_settings())
    assert any(int(i["shard"]["N"]) < 0 for i in scan(dynamodb, KEYS))  # it is there
    assert set(environment.key_pool_table().pool_sizes()) == set(range(get_settings().pool_shards))
