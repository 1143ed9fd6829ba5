"""Throttling and quotas, on a stack whose limits are tiny (SNIP_THROTTLE_* / SNIP_QUOTA_PER_DAY)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.stacks import Stack, launch, stop
from tests.e2e.test_keygen_e2e import wait_for

KEY_BURST = 3
QUOTA = 5
STAGE_BURST = 12  # per method: the key tests spend 9 on GET /links/{key}


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = launch(
        tmp_path_factory.mktemp("stacks"),
        "limited",
        SNIP_THROTTLE_KEY_BURST=str(KEY_BURST),
        SNIP_THROTTLE_KEY_RATE="1",
        SNIP_QUOTA_PER_DAY=str(QUOTA),
        SNIP_THROTTLE_STAGE_BURST=str(STAGE_BURST),
        SNIP_THROTTLE_STAGE_RATE="0.01",
        SNIP_KEYGEN_INTERVAL="1",
        SNIP_POOL_TARGET="10",
    )
    yield running
    assert stop(running) == 0


def burst(stack: Stack, n: int, path: str, headers: dict[str, str]) -> list[requests.Response]:
    with ThreadPoolExecutor(n) as pool:
        return list(
            pool.map(lambda _: requests.get(f"{stack.base_url}{path}", headers=headers, timeout=30), range(n))
        )


def test_usage_plan_burst_then_quota(limited: Stack) -> None:
    first = burst(limited, KEY_BURST + 2, "/links/nothing", limited.headers("local"))
    statuses = sorted(r.status_code for r in first)
    assert statuses == [404] * KEY_BURST + [429] * 2  # the function ran for the first three only
    throttled = next(r for r in first if r.status_code == 429)
    assert throttled.json() == {"message": "Too Many Requests"}
    time.sleep(2.5)  # the bucket refills at 1 token/s
    second = [
        requests.get(f"{limited.base_url}/links/nothing", headers=limited.headers("local"), timeout=30)
        for _ in range(QUOTA - KEY_BURST + 1)
    ]
    assert [r.status_code for r in second] == [404] * (QUOTA - KEY_BURST) + [429]
    assert second[-1].json() == {"message": "Limit Exceeded"}
    # Another key has its own bucket and its own quota.
    assert (
        requests.get(
            f"{limited.base_url}/links/nothing", headers=limited.headers("other"), timeout=30
        ).status_code
        == 404
    )


def test_stage_throttle_applies_to_public_routes(limited: Stack) -> None:
    statuses = sorted(r.status_code for r in burst(limited, STAGE_BURST + 3, "/health", {}))
    assert statuses == [200] * STAGE_BURST + [429] * 3


def test_keygen_runs_on_its_schedule(limited: Stack) -> None:
    limited.empty_pool()
    assert wait_for(lambda: limited.pool_size() == 10, 15)
