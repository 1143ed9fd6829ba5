"""Concurrency on the local stack: overlapping keygen runs, many clients creating, racing redirects.

The stack runs each function in up to 4 execution environments (SNIP_MAX_WORKERS) behind the
gateway, on moto made atomic; throttles are lifted (see conftest) so that every answer comes
from the functions.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from snip.data.key_pool_table import SIZING_KEY, KeyPoolTable
from snip.operations.key_pool import Refill, refill_pool
from snip.settings import DEFAULT_TABLES, Env, read_settings
from tests.e2e.stacks import Stack
from tests.reliability import figures
from tests.reliability.conftest import LONG
from tests.reliability.http import Deadline, rss_mb, table_keys

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
KEYS = DEFAULT_TABLES[Env.KEYS_TABLE]
POOL_TARGET = 50  # the stack's default SNIP_POOL_TARGET
CLIENTS = 16
CREATES = 30_000 if LONG else 10_000
BUDGET_SECONDS = 1800 if LONG else 900  # bounds every loop; far above what it takes


def test_overlapping_keygen_runs_never_duplicate_and_stay_bounded(no_faults_after: Stack) -> None:
    """Keygen's reserved concurrency keeps its runs apart (deployed and locally, tests/local), but
    a deploy or a changed reservation can still overlap two. Six refills, each with its own client,
    are released together against the stack's atomic DynamoDB endpoint: truly overlapping runs.

    The stack is the one whose keygen runs on demand only (no faults set): a scheduled run between
    rounds would see the emptied pool as keys claimed at once, size the pool up for that rate
    (up to 20 times the target) and leave that sizing to the refills under test."""
    local_stack = no_faults_after
    runs_at_once, rounds = 6, 4
    settings = read_settings({})  # the defaults: a target of POOL_TARGET
    sizes, added = [], 0
    for _ in range(rounds):
        local_stack.empty_pool()
        barrier = threading.Barrier(runs_at_once)

        def refill(_: int, barrier: threading.Barrier = barrier) -> Refill:
            store = KeyPoolTable(local_stack.dynamodb(), KEYS, LINKS)
            barrier.wait(timeout=30)
            return refill_pool(store, settings)

        with ThreadPoolExecutor(runs_at_once) as pool:
            results = list(pool.map(refill, range(runs_at_once)))
        added += sum(result.added for result in results)
        pool_keys = [key for key in table_keys(local_stack, KEYS) if key != SIZING_KEY]
        sizes.append(len(pool_keys))
        assert len(pool_keys) == len(set(pool_keys)), "a key is in the pool twice"
        assert not set(pool_keys) & set(table_keys(local_stack, LINKS)), "a pool key is a link already"
        # Overlapping runs each add what they counted missing: at most one target per run.
        assert POOL_TARGET <= len(pool_keys) <= runs_at_once * POOL_TARGET
    figures.record(
        "overlapping keygen",
        runs_at_once=runs_at_once,
        rounds=rounds,
        pool_after_each_round=sizes,
        keys_added=added,
        duplicates=0,
    )


@pytest.mark.timeout(BUDGET_SECONDS + 300)  # the creates stop at the budget; the checks follow
def test_many_clients_creating_never_share_a_key(local_stack: Stack) -> None:
    deadline = Deadline(BUDGET_SECONDS)
    per_client = CREATES // CLIENTS

    results = local_stack.create_concurrently(CLIENTS, per_client, "load", deadline.end)
    statuses = Counter(status for status, _, _ in results)
    keys = [key for status, key, _ in results if status == 201]
    stored = set(table_keys(local_stack, LINKS))
    figures.record(
        "concurrent creates",
        stack_rss_mb=rss_mb(local_stack.process.pid),
        clients=CLIENTS,
        creates=len(results),
        statuses=dict(statuses),
        duplicate_keys=len(keys) - len(set(keys)),
        missing_from_table=len(set(keys) - stored),
    )
    assert len(results) == per_client * CLIENTS, "the budget ran out before the creates were done"
    assert statuses == {201: len(results)}
    assert len(keys) == len(set(keys))
    assert set(keys) <= stored
    session = requests.Session()
    for _, key, url in results[:: max(1, len(results) // 200)]:  # a sample resolves to its own URL
        response = session.get(f"{local_stack.base_url}/{key}", allow_redirects=False, timeout=60)
        assert (response.status_code, response.headers["Location"]) == (302, url)


def race(
    stack: Stack, key: str, requests_at_once: int, headers: dict[str, str] | None = None
) -> Counter[int]:
    """``requests_at_once`` GETs of one key, released together by a barrier."""
    barrier = threading.Barrier(requests_at_once)

    def visit(_: int) -> int:
        session = requests.Session()
        barrier.wait(timeout=60)
        return session.get(
            f"{stack.base_url}/{key}", allow_redirects=False, headers=headers, timeout=60
        ).status_code

    with ThreadPoolExecutor(requests_at_once) as pool:
        return Counter(pool.map(visit, range(requests_at_once)))


def test_max_visits_is_exact_under_32_concurrent_redirects(local_stack: Stack) -> None:
    outcomes: dict[int, dict[int, int]] = {}
    for max_visits in (1, 7, 31, 40):
        created = requests.post(
            f"{local_stack.base_url}/links",
            json={"url": f"https://example.com/limited/{max_visits}", "max_visits": max_visits},
            headers=local_stack.headers(),
            timeout=30,
        ).json()
        key = created["key"]
        bots = race(local_stack, key, 8, headers={"User-Agent": "Slackbot-LinkExpanding 1.0"})
        assert bots == {302: 8}, "a link preview bot is redirected and spends nothing"
        statuses = race(local_stack, key, 32) + race(local_stack, key, 32)
        outcomes[max_visits] = dict(statuses)
        assert statuses[302] == max_visits
        assert statuses[410] == 64 - max_visits
        link = requests.get(
            f"{local_stack.base_url}/links/{key}", headers=local_stack.headers(), timeout=30
        ).json()
        assert (link["visits"], link["bot_visits"]) == (max_visits, 8)
    figures.record(
        "max_visits under 32 concurrent redirects", **{f"max_visits={k}": v for k, v in outcomes.items()}
    )
