"""DynamoDB failing at random, 10 % and 30 % of all calls: creates, redirects and keygen hold up.

For each rate, a seeded run of rounds — a create, an aliased create, an Idempotency-Key client
that retries, redirects (GET, HEAD, unknown key) and, every third round, a keygen run — with
faults on, then checks with faults off: no 500 was answered, every failure was a 503 with
Retry-After, no key was given twice, every 201 resolves, each Idempotency-Key ended on one link.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from snip import aws
from snip.errors import DependencyUnavailable
from snip.settings import DEFAULT_TABLES, Env
from tests.reliability import figures
from tests.reliability.chaos import Chaos
from tests.reliability.clients import Driver
from tests.reliability.conftest import LONG
from tests.service.conftest import LambdaContext

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
KEYS = DEFAULT_TABLES[Env.KEYS_TABLE]
ROUNDS = 300 if LONG else 60
RETRIES = 40  # a client's attempts at one create; P(40 faults in a row at 30 %) ~ 1e-21


def all_items(client: Any, table: str) -> list[dict[str, Any]]:
    items, start = [], None
    while True:
        page = client.scan(TableName=table, **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def links_by_key(client: Any) -> dict[str, str]:
    return {item["key"]["S"]: item.get("url", {}).get("S", "") for item in all_items(client, LINKS)}


def pool_keys(client: Any) -> list[str]:
    return [item["key"]["S"] for item in all_items(client, KEYS)]


def run_keygen(handlers: dict[str, Any]) -> bool:
    """One scheduled keygen run: it either refills or raises DependencyUnavailable (for the alarm)."""
    try:
        handlers["keygen"]({"source": "aws.events", "detail-type": "Scheduled Event"}, LambdaContext())
    except DependencyUnavailable:
        return False
    return True


@pytest.mark.usefixtures("filled_pool")
@pytest.mark.parametrize("rate", [0.10, 0.30], ids=["10pct", "30pct"])
def test_random_faults(handlers: dict[str, Any], dynamodb: Any, rate: float) -> None:
    drive = Driver(handlers)
    chaos = Chaos(aws.dynamodb(), rate, seed=round(rate * 1000))
    rng = random.Random(20240601)
    given: dict[str, str] = {}  # key -> url, for every 201 a client received
    idempotent: dict[str, tuple[dict[str, Any], str]] = {}  # Idempotency-Key -> (body, key)
    keys_handed_out: list[str] = []
    outcomes: Counter[str] = Counter()

    chaos.enabled = True
    for n in range(ROUNDS):
        url = f"https://example.com/plain/{n}"
        reply = drive("POST", "/links", body={"url": url})
        if reply.status == 201:
            given[reply.json["key"]] = url
            keys_handed_out.append(reply.json["key"])

        alias, url = f"alias-{rate}-{n}".replace(".", "_"), f"https://example.com/alias/{n}"
        for _ in range(RETRIES):  # nothing is written by a failed attempt: a retry never meets 409
            reply = drive("POST", "/links", body={"url": url, "alias": alias})
            if reply.status != 503:
                break
        assert reply.status == 201, reply.body
        given[alias] = url
        keys_handed_out.append(alias)

        body = {"url": f"https://example.com/idempotent/{n}", "max_visits": 1000}
        reply = drive.idempotent_create(body, f"client-{n}", attempts=RETRIES)
        assert reply.status == 201, reply.body
        idempotent[f"client-{n}"] = (body, reply.json["key"])
        given[reply.json["key"]] = body["url"]
        keys_handed_out.append(reply.json["key"])

        key = rng.choice(sorted(given))
        for method in ("GET", "HEAD"):
            reply = drive(method, f"/{key}", api_key_id=None)
            assert reply.status in (302, 503), reply.body
            if reply.status == 302:
                assert reply.headers["Location"] == given[key]
        assert drive("GET", f"/nope{n:03d}", api_key_id=None).status in (404, 503)

        if n % 3 == 0:
            outcomes["keygen_ok" if run_keygen(handlers) else "keygen_503"] += 1
    chaos.enabled = False

    # Each Idempotency-Key replayed now that DynamoDB is healthy (by a client that retries 409 too).
    diverged = 0
    for idempotency_key, (body, key) in idempotent.items():
        replay = drive.idempotent_create(body, idempotency_key, attempts=RETRIES)
        assert replay.status == 201, replay.body
        if replay.json["key"] != key:  # the completion-fault defect (test_idempotency_faults.py)
            diverged += 1
            given[replay.json["key"]] = body["url"]
            keys_handed_out.append(replay.json["key"])
    # Nothing lost, nothing given twice.
    assert len(keys_handed_out) == len(set(keys_handed_out)), "a key was handed out twice"
    stored = links_by_key(dynamodb)
    lost = [key for key, url in given.items() if stored.get(key) != url]
    assert lost == [], "links lost or overwritten"
    for key, url in given.items():
        reply = drive("GET", f"/{key}", api_key_id=None)
        assert reply.status == 302, reply.body
        assert reply.headers["Location"] == url
    # The pool holds unused keys only, each once.
    pool = pool_keys(dynamodb)
    assert len(pool) == len(set(pool))
    assert not set(pool) & set(stored), "a pool key is also a link"
    assert run_keygen(handlers)
    orphans = sorted(set(stored) - set(given))
    # Links no client was told about: only a create whose response was lost after the claim may
    # leave one (see test_idempotency_bookkeeping_fault_leaves_no_second_link).
    assert all("/idempotent/" in stored[key] for key in orphans), orphans

    requests = sum(drive.statuses.values())
    figures.record(
        f"faults {round(rate * 100)}%",
        rounds=ROUNDS,
        dynamodb_calls=chaos.calls,
        faults_injected=chaos.total,
        by_kind=dict(sorted(chaos.injected.items())),
        requests=requests,
        statuses=dict(sorted(drive.statuses.items())),
        answers_500=drive.statuses[500],
        links_given=len(given),
        duplicate_keys=len(keys_handed_out) - len(set(keys_handed_out)),
        lost_links=len(lost),
        idempotent_clients=len(idempotent),
        replays_with_a_new_key=diverged,
        orphan_links=len(orphans),
        keygen=dict(outcomes),
    )
