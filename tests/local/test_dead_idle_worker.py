"""An execution environment whose runtime exits while idle (killed from outside) is never handed an
invocation: the pool replaces it, as Lambda does, instead of answering the caller with its crash."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from snip_local.local_config import REPO_ROOT, LocalApiKey, LocalConfig, function_name
from snip_local.local_functions import LocalFunctions

PROBE = REPO_ROOT / "tests/e2e/fixtures/probe"


@pytest.fixture
def functions() -> Iterator[LocalFunctions]:
    local = LocalFunctions(
        LocalConfig(
            port=0,
            aws_port=0,
            api_keys={"secret": LocalApiKey("local")},
            max_workers=2,
            function_logs=False,
            test_functions={"probe": PROBE},
        )
    )
    yield local
    local.close()


def _sleep_event(seconds: float) -> dict[str, object]:
    return {"queryStringParameters": {"mode": "sleep", "seconds": str(seconds)}}


def test_an_environment_killed_while_idle_is_replaced_not_invoked(functions: LocalFunctions) -> None:
    pool = functions.pools[function_name("probe")]
    both = [threading.Thread(target=pool.invoke, args=(_sleep_event(0.5),)) for _ in range(2)]
    for thread in both:
        thread.start()
    for thread in both:
        thread.join(30)
    idle = pool.pids()
    assert len(idle) == 2  # two warm environments, both idle now
    for pid in idle:
        os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)  # the kernel has ended them

    outcome = pool.invoke(_sleep_event(0))
    assert outcome.error is None, outcome.error
    assert outcome.cold
    assert not set(pool.pids()) & set(idle)
