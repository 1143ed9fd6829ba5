"""keygen on the local stack: the initial fill, the refill shorten asks for, the schedule, an empty pool."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import requests

from tests.e2e.stacks import Stack, launch, stop

TARGET = 20
THRESHOLD = 14  # 0.7 x 20


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.fixture(scope="module")
def keygen_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A pool of 20, scheduled runs only every hour: a refill can only come from shorten's request.

    Each shorten instance asks at most once per SNIP_REFILL_REQUEST_INTERVAL; 1 s keeps the tests short.
    """
    running = launch(
        tmp_path_factory.mktemp("stacks"),
        "keygen",
        SNIP_POOL_TARGET=str(TARGET),
        SNIP_KEYGEN_INTERVAL="3600",
        SNIP_REFILL_REQUEST_INTERVAL="1",
    )
    yield running
    assert stop(running) == 0


def create(stack: Stack, n: int) -> list[str]:
    keys = []
    for i in range(n):
        response = requests.post(
            f"{stack.base_url}/links",
            json={"url": f"https://example.com/k{i}"},
            headers=stack.headers(),
            timeout=30,
        )
        assert response.status_code == 201, response.text
        keys.append(response.json()["key"])
    return keys


def test_initial_fill_happens_before_the_first_request(keygen_stack: Stack) -> None:
    log = keygen_stack.log()
    assert log.index("keygen (schedule)") < log.index("Snip is running")
    assert keygen_stack.pool_size() == TARGET


def test_refill_after_many_creates(keygen_stack: Stack) -> None:
    keys = create(keygen_stack, TARGET + 10)  # more than the pool held
    # An instance asks keygen when its in-memory candidates run out and the pool cannot replace them,
    # at most once per refill-request interval; so keep a trickle of creates going until it has.
    deadline = time.monotonic() + 20
    while keygen_stack.pool_size() < THRESHOLD and time.monotonic() < deadline and len(keys) < 3 * TARGET:
        keys += create(keygen_stack, 1)
        time.sleep(0.3)
    assert len(set(keys)) == len(keys)
    assert wait_for(lambda: keygen_stack.pool_size() >= THRESHOLD, 5)
    # At least one on-demand refill (keygen then sizes the pool to the load, so often only one).
    # The gateway logs the invoke when keygen returns, after its first transaction already filled
    # the pool past the threshold: wait for the line too (it raced: 2 of 4 runs here failed).
    assert wait_for(lambda: keygen_stack.log().count("invoke snip-keygen (Event) ok") >= 1, 5)


def test_an_empty_pool_never_fails_a_shorten(keygen_stack: Stack) -> None:
    time.sleep(1.2)  # let the previous test's refill-request interval pass
    keygen_stack.empty_pool()
    keys = create(keygen_stack, 5)
    assert len(set(keys)) == 5
    for key in keys:
        assert (
            requests.get(f"{keygen_stack.base_url}/{key}", allow_redirects=False, timeout=30).status_code
            == 302
        )
    assert wait_for(lambda: keygen_stack.pool_size() >= THRESHOLD, 15)
