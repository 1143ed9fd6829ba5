"""4. Key claims and 5. redirects under concurrency, through the local stack (``snip serve``).

16 clients create links through the gateway, in rounds interleaved with a bare reference (16 threads,
conditional PutItem against the same local moto endpoint); then the same clients follow every link
(each key once, checking its Location) interleaved with 16 threads of bare GetItem. The functions'
EMF lines (KeyClaimConflicts, PoolEmptyFallbacks, LinksCreated) and keygen's targets are read from
the stack's output. Then keygen runs as its schedule would after the load, until the pool is back to
its configured target. Every loop is bounded in count and in time.
"""

from __future__ import annotations

import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from bench.common import dynamodb_client, summary
from bench.emf import metric_totals
from snip.settings import read_settings
from tests.e2e.stacks import launch, stop
from tests.reliability.http import invoke_keygen

CLIENTS = 16
BARE_TABLE = "bench-bare"
UNLIMITED = "1000000000"
STACK_ENV = {
    "SNIP_TEST_FUNCTIONS": "",
    "SNIP_FUNCTION_LOGS": "on",
    "SNIP_MAX_WORKERS": "4",
    # The benchmark measures the functions, not the throttles: lift API Gateway's limits.
    "SNIP_THROTTLE_STAGE_RATE": UNLIMITED,
    "SNIP_THROTTLE_STAGE_BURST": UNLIMITED,
    "SNIP_THROTTLE_KEY_RATE": UNLIMITED,
    "SNIP_THROTTLE_KEY_BURST": UNLIMITED,
    "SNIP_QUOTA_PER_DAY": UNLIMITED,
}

Sample = tuple[float, Any]  # (seconds, what the request returned)


class Phase:
    """One kind of load: ``CLIENTS`` threads, each with its own connection, running ``work(i)``."""

    def __init__(self, name: str, connect: Callable[[], Any], work: Callable[[Any, int, int], Any]) -> None:
        self.name = name
        self.connections = [connect() for _ in range(CLIENTS)]
        self.work = work
        self.samples: list[Sample] = []
        self.errors = 0
        self.seconds = 0.0
        self._lock = threading.Lock()

    def run(self, first: int, count: int, deadline: float) -> None:
        """Each client runs ``work`` for its items first..first+count-1, or until ``deadline``."""

        def client(index: int) -> None:
            connection = self.connections[index]
            for item in range(first, first + count):
                if time.monotonic() > deadline:
                    return
                started = time.perf_counter()
                try:
                    result = self.work(connection, index, item)
                except Exception as error:
                    result = error
                elapsed = time.perf_counter() - started
                with self._lock:
                    if isinstance(result, Exception):
                        self.errors += 1
                    else:
                        self.samples.append((elapsed, result))

        started = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(client, range(CLIENTS)))
        self.seconds += time.perf_counter() - started

    def report(self) -> dict[str, Any]:
        latencies = [s for s, _ in self.samples]
        return {
            "requests": len(latencies),
            "errors": self.errors,
            "seconds": self.seconds,
            "per_second": len(latencies) / self.seconds if self.seconds else 0.0,
            "latency_ms": summary(latencies, scale=1e3),
            "samples_ms": [round(s * 1e3, 3) for s in latencies],
        }


def _url(client: int, item: int) -> str:
    return f"https://example.com/bench/{client}/{item}?r={uuid.uuid4().hex[:8]}"


def run(per_client: int = 100, rounds: int = 4, max_seconds: float = 240, **settings: str) -> dict[str, Any]:
    """Start a local stack (with ``settings`` added to its environment), load it, stop it."""
    deadline = time.monotonic() + max_seconds
    with tempfile.TemporaryDirectory(prefix="snip-bench-stack-") as tmp:
        stack = launch(Path(tmp), "bench", **STACK_ENV, **settings)
        try:
            return _measure(stack, per_client, rounds, deadline, settings)
        finally:
            # Generous: after a load, moto's tables take a while to free (see docs/performance.md).
            code = stop(stack, timeout=90)
            if code != 0:
                print(f"bench: snip serve exited with {code}")


def _measure(
    stack: Any, per_client: int, rounds: int, deadline: float, settings: dict[str, str]
) -> dict[str, Any]:
    secret = stack.keys["local"]
    aws = dynamodb_client(stack.aws_url)
    aws.create_table(
        TableName=BARE_TABLE,
        KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    expected: dict[str, str] = {}  # key -> the URL it was created for
    duplicates: list[str] = []
    lock = threading.Lock()
    bare_keys: list[list[str]] = [[] for _ in range(CLIENTS)]

    def session() -> requests.Session:
        s = requests.Session()
        s.headers.update({"x-api-key": secret})
        return s

    def create(http: requests.Session, client: int, item: int) -> str:
        url = _url(client, item)
        response = http.post(f"{stack.base_url}/links", json={"url": url}, timeout=30)
        if response.status_code != 201:
            raise RuntimeError(f"create answered {response.status_code}: {response.text[:200]}")
        key = response.json()["key"]
        with lock:
            if key in expected:  # counted as a duplicate below; the first URL stays expected
                duplicates.append(key)
            else:
                expected[key] = url
        return key

    def bare_put(client_: Any, client: int, item: int) -> str:
        key = uuid.uuid4().hex[:7]
        client_.put_item(
            TableName=BARE_TABLE,
            Item={"key": {"S": key}, "url": {"S": _url(client, item)}},
            ConditionExpression="attribute_not_exists(#k)",
            ExpressionAttributeNames={"#k": "key"},
        )
        bare_keys[client].append(key)
        return key

    creates = Phase("create", session, create)
    bare_puts = Phase("bare_put", lambda: dynamodb_client(stack.aws_url), bare_put)
    per_round = max(1, per_client // rounds)
    for index in range(rounds):
        order = (creates, bare_puts) if index % 2 == 0 else (bare_puts, creates)
        for phase in order:
            phase.run(index * per_round, per_round, deadline)

    keys = [key for _, key in creates.samples]
    by_client: list[list[str]] = [keys[i::CLIENTS] for i in range(CLIENTS)]
    wrong: list[str] = []

    def follow(http: requests.Session, client: int, item: int) -> int:
        key = by_client[client][item]
        response = http.get(f"{stack.base_url}/{key}", allow_redirects=False, timeout=30)
        if response.status_code != 302 or response.headers.get("Location") != expected.get(key):
            wrong.append(key)
        return response.status_code

    def bare_get(client_: Any, client: int, item: int) -> bool:
        key = bare_keys[client][item % len(bare_keys[client])]
        return "Item" in client_.get_item(TableName=BARE_TABLE, Key={"key": {"S": key}})

    redirects = Phase("redirect", requests.Session, follow)
    bare_gets = Phase("bare_get", lambda: dynamodb_client(stack.aws_url), bare_get)
    per_round = max(1, min(len(k) for k in by_client) // rounds) if keys else 0
    for index in range(rounds if per_round else 0):
        order = (redirects, bare_gets) if index % 2 == 0 else (bare_gets, redirects)
        for phase in order:
            phase.run(index * per_round, per_round, deadline)

    time.sleep(0.5)  # the last EMF lines reach the log
    log = stack.log()
    metrics = metric_totals(log)
    created = len(keys)
    links_in_table = aws.scan(TableName="snip-links", Select="COUNT")["Count"]
    targets = [int(t) for t in re.findall(r'"message":"pool checked".*?"target":(\d+)', log)]
    after_load = _cool_down(stack, read_settings(settings).pool_target, deadline)
    return {
        "settings": settings,
        "clients": CLIENTS,
        "workers_per_function": int(STACK_ENV["SNIP_MAX_WORKERS"]),
        "creates": creates.report(),
        "bare_put": bare_puts.report(),
        "redirects": redirects.report(),
        "bare_get": bare_gets.report(),
        "claims": {
            "created": created,
            "links_in_table": links_in_table,
            "duplicate_keys": max(created - len(set(keys)), len(duplicates)),
            "redirect_mismatches": len(wrong),
            "redirects_checked": len(redirects.samples) + redirects.errors,
            "key_claim_conflicts": metrics["KeyClaimConflicts"],
            "pool_empty_fallbacks": metrics["PoolEmptyFallbacks"],
            "links_created_metric": metrics["LinksCreated"],
            "conflicts_per_create": metrics["KeyClaimConflicts"] / created if created else None,
            "fallbacks_per_create": metrics["PoolEmptyFallbacks"] / created if created else None,
            "keys_generated_by_keygen": metrics["KeysGenerated"],
            "keygen_runs_during_load": len(targets),
            "pool_target_peak": max(targets, default=None),
        },
        "after_load": after_load,
    }


def _cool_down(stack: Any, floor: int, deadline: float, runs: int = 12) -> dict[str, Any]:
    """The load has stopped: run keygen as its schedule would (once a minute; here back to back)
    until the pool is back to its configured target, at most ``runs`` times."""
    sizes: list[tuple[int, int]] = []  # (target, pool after) per run
    while len(sizes) < runs and time.monotonic() < deadline + 60:
        result = invoke_keygen(stack)
        sizes.append((result["target"], result["pool_after"]))
        if sizes[-1] == (floor, floor):
            break
    back = bool(sizes) and sizes[-1] == (floor, floor)
    return {"floor": floor, "runs": sizes, "runs_to_floor": len(sizes) if back else None}
