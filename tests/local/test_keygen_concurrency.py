"""keygen's reserved concurrency of 1 holds locally: scheduled and on-demand runs never overlap.

Deployed, Lambda runs at most one keygen at a time and queues (or throttles) the rest. The local
stack must do the same, or two refills race each other's puts, which no deployed stack would show.
keygen is replaced by a stand-in (tests/local/fixtures/keygen_standin) that records any overlap.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from snip_deploy.function_specs import KEYGEN, SHORTEN
from snip_local import lambda_api
from snip_local.keygen_timer import KeygenTimer
from snip_local.local_config import REPO_ROOT, LocalApiKey, LocalConfig, function_name
from snip_local.local_functions import LocalFunctions

STAND_IN = REPO_ROOT / "tests/local/fixtures/keygen_standin"
ASYNC_INVOKES = 6
WAIT_SECONDS = 60.0  # a bound on the whole test, not an assertion on timing


def local_config() -> LocalConfig:
    return LocalConfig(
        port=0,
        aws_port=0,
        api_keys={"secret": LocalApiKey("local")},
        max_workers=4,  # more than keygen's reservation: the spec, not this cap, must hold it to 1
        keygen_interval=0.05,
        function_logs=False,
        test_functions={"keygen": STAND_IN},
    )


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SNIP_TEST_RUNS_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def functions(runs: Path) -> Iterator[LocalFunctions]:
    local = LocalFunctions(local_config())
    yield local
    local.close()


def wait_for(condition: object, seconds: float = WAIT_SECONDS) -> bool:
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


def test_functions_run_with_their_deployed_limits(functions: LocalFunctions) -> None:
    keygen = functions.pools[function_name(KEYGEN.name)].spec
    shorten = functions.pools[function_name(SHORTEN.name)].spec
    assert (keygen.timeout, keygen.memory_mb, keygen.max_workers) == (KEYGEN.timeout_seconds, 256, 1)
    assert keygen.max_event_age == KEYGEN.max_event_age_seconds
    assert (shorten.timeout, shorten.memory_mb) == (SHORTEN.timeout_seconds, SHORTEN.memory_mb)
    assert shorten.max_workers == 4


def test_scheduled_and_on_demand_runs_never_overlap(functions: LocalFunctions, runs: Path) -> None:
    pool = functions.pools[function_name(KEYGEN.name)]
    timer = KeygenTimer(pool, interval=0.05)
    timer.start()
    try:
        for _ in range(ASYNC_INVOKES):
            functions.invoke_async(pool, {"source": "on-demand"})

        def done() -> bool:
            sources = [p.read_text() for p in runs.glob("run-*")]
            return sources.count("on-demand") == ASYNC_INVOKES and sources.count("aws.events") >= 2

        finished = wait_for(done)
    finally:
        timer.stop()
    assert not list(runs.glob("overlap-*")), "two keygen invocations ran at the same time"
    assert finished, f"runs seen: {sorted(p.read_text() for p in runs.glob('run-*'))}"
    environments = {p.name.split("-")[1] for p in runs.glob("run-*")}
    assert len(environments) == 1, f"keygen ran in {len(environments)} environments"


def test_a_synchronous_invoke_while_keygen_runs_waits_its_turn(functions: LocalFunctions, runs: Path) -> None:
    pool = functions.pools[function_name(KEYGEN.name)]
    running = threading.Thread(target=pool.invoke, args=({"source": "long", "hold_seconds": 1},))
    running.start()
    try:
        assert wait_for(lambda: (runs / "busy").exists())
        body = json.dumps({"source": "sync"}).encode()
        request = Request(EnvironBuilder(method="POST", data=body).get_environ())
        response = lambda_api.invoke(functions, request, function_name(KEYGEN.name))
    finally:
        running.join(timeout=WAIT_SECONDS)
    assert response.status_code == 200
    assert "pid" in json.loads(response.get_data())
    assert not list(runs.glob("overlap-*")), "the synchronous invoke ran beside the running one"
    assert sorted(p.read_text() for p in runs.glob("run-*")) == ["long", "sync"]
