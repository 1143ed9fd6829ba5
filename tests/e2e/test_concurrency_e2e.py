"""Many clients at once: the guarantees that depend on DynamoDB being atomic under the stack's lock."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.e2e.stacks import Stack

CLIENTS = 16
LINKS_PER_CLIENT = 5
BUDGET_SECONDS = 90  # a bound on each load loop, far above what it takes


def test_concurrent_creates_get_distinct_keys_that_resolve(stack: Stack) -> None:
    deadline = time.monotonic() + BUDGET_SECONDS

    results = stack.create_concurrently(CLIENTS, LINKS_PER_CLIENT, "c", deadline)
    assert [status for status, _, _ in results] == [201] * CLIENTS * LINKS_PER_CLIENT
    keys = [key for _, key, _ in results]
    assert len(set(keys)) == len(keys)

    def resolve(row: tuple[int, str, str]) -> tuple[int, str | None, str]:
        _, key, url = row
        response = requests.get(f"{stack.base_url}/{key}", allow_redirects=False, timeout=60)
        return response.status_code, response.headers.get("Location"), url

    with ThreadPoolExecutor(CLIENTS) as pool:
        for status, location, url in pool.map(resolve, results):
            assert status == 302
            assert location == url


def test_max_visits_is_exact_under_concurrent_redirects(stack: Stack) -> None:
    created = requests.post(
        f"{stack.base_url}/links",
        json={"url": "https://example.com/limited", "max_visits": 5},
        headers=stack.headers(),
        timeout=30,
    )
    key = created.json()["key"]

    def visit(_: int) -> int:
        return requests.get(f"{stack.base_url}/{key}", allow_redirects=False, timeout=60).status_code

    with ThreadPoolExecutor(CLIENTS) as pool:
        statuses = list(pool.map(visit, range(CLIENTS * 2)))
    assert statuses.count(302) == 5
    assert statuses.count(410) == CLIENTS * 2 - 5
    got = requests.get(f"{stack.base_url}/links/{key}", headers=stack.headers(), timeout=30).json()
    assert got["visits"] == 5
