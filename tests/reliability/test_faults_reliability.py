"""DynamoDB failing at random, 10 % and 30 % of every request the functions send: creates,
redirects and keygen hold up.

The faults are injected by the local stack's AWS endpoint, between the functions and DynamoDB
(``SNIP_FAULTS``, docs/local.md): each request — each *attempt*, inside botocore's own retry loop —
is answered a 500 ``InternalServerError`` or a 400 ``ProvisionedThroughputExceededException`` with
probability ``rate`` (half each), before it reaches moto, so a failed attempt writes nothing. What
reaches Snip's code is what is left after the SDK's retries.

For each rate, clients run seeded rounds — a create, an aliased create, an Idempotency-Key client
that retries, redirects (GET, HEAD, unknown key) and, every third round, a keygen run — with faults
on, then check with faults off: no 5xx but 503 with Retry-After, no key given twice, every 201
resolves, each Idempotency-Key replays its one link, the pool holds unused keys only.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.stacks import Stack
from tests.reliability import figures
from tests.reliability.conftest import LONG
from tests.reliability.http import Caller, fault_state, set_faults, try_keygen
from tests.reliability.table_dumps import links_by_key, pool_keys
from tests.reliability.visit_mix import PIPELINE_WRITES, VARIANTS, VisitLedger

CLIENTS = 4
ROUNDS = 40 if LONG else 8  # per client
RETRIES = 20  # a client's attempts at one create
PIPELINE_DRAIN_SECONDS = 10  # faults on while the aggregator catches up with the redirects


def create_until_answered(call: Caller, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    """A client that retries 503 (and 409 request_in_progress, with an Idempotency-Key)."""
    reply = None
    for _ in range(RETRIES):
        reply = call("POST", "/links", body=body, headers=headers)
        in_progress = reply.status_code == 409 and reply.json()["error"]["code"] == "request_in_progress"
        if reply.status_code != 503 and not in_progress:
            return reply
        time.sleep(0.2 if in_progress else 0.05)
    return reply


def client_rounds(stack: Stack, ledger: VisitLedger, rate: float, n: int) -> dict[str, Any]:
    call = Caller(stack)
    rng = random.Random(n)
    given: dict[str, str] = {}
    handed_out: list[str] = []
    idempotent: dict[str, tuple[dict[str, Any], str]] = {}
    keygen: Counter[str] = Counter()
    tag = f"{round(rate * 100)}-{n}"
    for i in range(ROUNDS):
        url = f"https://example.com/plain/{tag}/{i}"
        reply = call("POST", "/links", body={"url": url})
        if reply.status_code == 201:
            given[reply.json()["key"]] = url
            handed_out.append(reply.json()["key"])

        alias, url = f"alias-{tag}-{i}", f"https://example.com/alias/{tag}/{i}"
        reply = create_until_answered(call, {"url": url, "alias": alias})
        assert reply.status_code == 201, reply.text
        given[alias] = url
        handed_out.append(alias)

        body: dict[str, Any] = {"url": f"https://example.com/idempotent/{tag}/{i}", "max_visits": 1000}
        reply = create_until_answered(call, body, {"Idempotency-Key": f"client-{tag}-{i}"})
        assert reply.status_code == 201, reply.text
        idempotent[f"client-{tag}-{i}"] = (body, reply.json()["key"])
        given[reply.json()["key"]] = body["url"]
        handed_out.append(reply.json()["key"])

        key = rng.choice(sorted(given))
        reply = ledger.redirect(call, key, rng.choice(VARIANTS))
        assert reply.status_code in (302, 503), reply.text
        if reply.status_code == 302:
            assert reply.headers["Location"] == given[key]
        reply = call("HEAD", f"/{key}", key=False)
        assert reply.status_code in (302, 503), reply.text
        if reply.status_code == 302:
            assert reply.headers["Location"] == given[key]
        assert call("GET", f"/nope{tag}x{i:03d}", key=False).status_code in (404, 503)
        if n == 0 and i % 3 == 0:
            keygen["refilled" if try_keygen(stack) else "raised for the alarm"] += 1
    return {
        "call": call,
        "given": given,
        "handed_out": handed_out,
        "idempotent": idempotent,
        "keygen": keygen,
    }


@pytest.mark.parametrize("rate", [0.10, 0.30], ids=["10pct", "30pct"])
def test_random_faults(no_faults_after: Stack, rate: float) -> None:
    stack = no_faults_after
    set_faults(stack, f"*:error={rate / 2},*:throttle={rate / 2}", seed=round(rate * 1000))
    ledger = VisitLedger()
    with ThreadPoolExecutor(CLIENTS) as clients:
        runs = list(clients.map(lambda n: client_rounds(stack, ledger, rate, n), range(CLIENTS)))
    ledger.wait_counted(stack, PIPELINE_DRAIN_SECONDS)  # the aggregator counts after the answers
    state = fault_state(stack)
    set_faults(stack, "")

    call = Caller(stack)
    given = {k: v for run in runs for k, v in run["given"].items()}
    handed_out = [k for run in runs for k in run["handed_out"]]
    diverged = 0
    for run in runs:
        for idempotency_key, (body, key) in run["idempotent"].items():
            replay = create_until_answered(call, body, {"Idempotency-Key": idempotency_key})
            assert replay.status_code == 201, replay.text
            diverged += replay.json()["key"] != key
    broken = [line for run in runs for line in run["call"].broken] + call.broken
    assert broken == [], broken
    assert len(handed_out) == len(set(handed_out)), "a key was handed out twice"
    stored = links_by_key(stack.dynamodb())
    lost = [key for key, url in given.items() if stored.get(key) != url]
    assert lost == [], "links lost or overwritten"
    for key, url in given.items():
        reply = ledger.redirect(call, key)
        assert (reply.status_code, reply.headers.get("Location")) == (302, url)
    pool = pool_keys(stack.dynamodb())
    assert len(pool) == len(set(pool))
    assert not set(pool) & set(stored), "a pool key is also a link"
    assert diverged == 0, "an Idempotency-Key replayed another link"
    # Every GET above is a visit (a max_visits link's counted by its redirect, the others' by the
    # pipeline, whose own writes met the faults too); stats are compared for the latter.
    limited = {key for run in runs for _, key in run["idempotent"].values()}
    pipeline = ledger.settle(stack, stats_for=set(given) - limited)

    statuses: Counter[int] = Counter()
    for run in runs:
        statuses.update(run["call"].statuses)
    figures.record(
        f"faults {round(rate * 100)}%",
        clients=CLIENTS,
        rounds=CLIENTS * ROUNDS,
        dynamodb_requests=sum(state["requests"].values()),
        faults_injected=sum(state["injected"].values()),
        by_kind=fault_kinds(state["injected"]),
        requests=sum(statuses.values()),
        statuses=dict(sorted(statuses.items())),
        answers_5xx_not_503=sum(n for s, n in statuses.items() if s >= 500 and s != 503),
        links_given=len(given),
        duplicate_keys=len(handed_out) - len(set(handed_out)),
        lost_links=len(lost),
        idempotent_clients=sum(len(run["idempotent"]) for run in runs),
        replays_with_a_new_key=diverged,
        keygen=dict(sum((run["keygen"] for run in runs), Counter())),
        pipeline_requests_faulted={
            write: f"{count(state['injected'], write)} of {count(state['requests'], write)}"
            for write in PIPELINE_WRITES
        },
        visits=pipeline.figures(),
    )
    assert (pipeline.visits_lost, pipeline.visits_double_counted, pipeline.stats_disagree) == (0, 0, 0), (
        pipeline.examples
    )
    # Injected errors and throttles never apply a write, so no 503 here may have left its event.
    assert pipeline.counted_without_redirect == 0, pipeline.examples


def fault_kinds(injected: dict[str, int]) -> dict[str, int]:
    kinds: Counter[str] = Counter()
    for label, n in injected.items():
        kinds[label.rpartition(":")[2]] += n
    return dict(sorted(kinds.items()))


def count(counts: dict[str, int], write: str) -> int:
    """Requests (or faults) of one pipeline write, ``op@table``, among the endpoint's labels."""
    operation, _, table = write.partition("@")
    return sum(
        n
        for label, n in counts.items()
        if label.startswith(f"{operation}@") and table in label.partition(":")[0].partition("@")[2].split("+")
    )
