"""Stats' ``as_of``: where the visit pipeline really stands, read from the aggregator's progress per
shard, never now minus a constant while a shard is behind."""

from __future__ import annotations

from datetime import UTC, datetime

from snip.domain.link import Link
from snip.domain.stats import (
    BEHIND,
    OK,
    PUT_IN_FLIGHT,
    RUNNING,
    LinkCounts,
    ShardProgress,
    as_of,
    with_counts,
)
from snip_deploy.function_specs import RESOLVE

NOW = datetime(2030, 1, 31, 12, 0, 0, tzinfo=UTC)
T = NOW.timestamp()
IDLE_AFTER = 60


def at(seconds_before_now: float) -> datetime:
    return datetime.fromtimestamp(T - seconds_before_now, UTC)


def test_no_progress_yet_means_nothing_is_waiting_but_puts_in_flight() -> None:
    assert as_of([], NOW, IDLE_AFTER) == NOW - PUT_IN_FLIGHT


def test_the_least_advanced_shard_decides() -> None:
    progress = [
        ShardProgress("a", OK, T - 10, T - 2),  # busy: counted up to 10 s ago
        ShardProgress("b", RUNNING, T - 40, T - 1),  # counting a batch that began 40 s ago
    ]
    assert as_of(progress, NOW, IDLE_AFTER) == at(40) - PUT_IN_FLIGHT


def test_a_shard_that_fails_holds_as_of_where_it_failed_however_long_it_retries() -> None:
    progress = [ShardProgress("a", BEHIND, T - 3_600, T - 5), ShardProgress("b", OK, T - 5, T - 100)]
    assert as_of(progress, NOW, IDLE_AFTER) == at(3_600) - PUT_IN_FLIGHT


def test_an_idle_shard_counts_as_caught_up() -> None:
    """Its last batch was counted whole longer ago than a shard with records waits: nothing of
    it is waiting (a shard with records is invoked within its batching window)."""
    progress = [ShardProgress("a", OK, T - 7_200, T - 7_000), ShardProgress("b", OK, T - 20, T - 15)]
    assert as_of(progress, NOW, IDLE_AFTER) == at(20) - PUT_IN_FLIGHT
    assert as_of(progress[:1], NOW, IDLE_AFTER) == NOW - PUT_IN_FLIGHT


def test_a_shard_gone_from_the_stream_is_forgotten() -> None:
    progress = [ShardProgress("old", BEHIND, T - 30 * 3600, T - 26 * 3600)]
    assert as_of(progress, NOW, IDLE_AFTER) == NOW - PUT_IN_FLIGHT


def test_progress_reads_back_as_written() -> None:
    progress = ShardProgress("shardId-1", RUNNING, 1_900_000_000.5, 1_900_000_001.25)
    assert ShardProgress.decode("shardId-1", progress.encode()) == progress


def test_puts_in_flight_last_as_long_as_resolve_may_run() -> None:
    assert PUT_IN_FLIGHT.total_seconds() == RESOLVE.timeout_seconds


def test_a_links_counts_are_its_own_items_and_its_counters_items() -> None:
    old = Link("AbC1234", visits=5, bot_visits=1, last_visit_at="2030-01-31T10:00:00Z")
    counted = with_counts(old, LinkCounts(visits=3, bot_visits=2, last_visit_at="2030-01-31T11:00:00Z"))
    assert (counted.visits, counted.bot_visits, counted.last_visit_at) == (8, 3, "2030-01-31T11:00:00Z")
    assert with_counts(old, None) == old
    assert with_counts(old, LinkCounts(visits=1)).last_visit_at == "2030-01-31T10:00:00Z"
