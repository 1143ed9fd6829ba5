"""Load held: mixed traffic (90 % redirects) on a local stack with the deployed throttles.

Clients loop until the time is up (60 s by default, 180 s with SNIP_LONG=1) or their request
budget is spent; every answer must be 2xx, 3xx, 404, 410 or 429 (API Gateway's throttle).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.e2e.stacks import Stack, launch, stop
from tests.reliability import figures
from tests.reliability.conftest import LONG
from tests.reliability.http import Deadline

SECONDS = 180 if LONG else 60
CLIENTS = 8
MAX_REQUESTS_PER_CLIENT = 20_000  # a second bound: loops stop by themselves either way
ALLOWED = {404, 410, 429}


@pytest.fixture(scope="module")
def throttled_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack with the deployed stage and usage-plan throttles (settings' defaults)."""
    running = launch(
        tmp_path_factory.mktemp("load"),
        "load",
        SNIP_KEYGEN_INTERVAL="10",
        SNIP_MAX_WORKERS="4",
        SNIP_FUNCTION_LOGS="off",
    )
    yield running
    assert stop(running) == 0, running.log()[-4000:]


def create(stack: Stack, session: requests.Session, **fields: object) -> str:
    body = {"url": "https://example.com/held", **fields}
    response = session.post(f"{stack.base_url}/links", json=body, headers=stack.headers(), timeout=60)
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def test_mixed_load_is_held(throttled_stack: Stack) -> None:
    stack, setup = throttled_stack, requests.Session()
    live = [create(stack, setup, redirect_status=s) for s in (301, 302, 307, 308) * 10]
    soon_spent = [create(stack, setup, max_visits=3) for _ in range(5)]
    soon_expired = [
        create(stack, setup, expires_at=(datetime.now(UTC) + timedelta(seconds=5)).isoformat())
        for _ in range(3)
    ]
    gone = [create(stack, setup) for _ in range(4)]
    for key in gone[:2]:
        setup.delete(f"{stack.base_url}/links/{key}", headers=stack.headers(), timeout=60).raise_for_status()
    for key in gone[2:]:
        setup.patch(
            f"{stack.base_url}/links/{key}", json={"disabled": True}, headers=stack.headers(), timeout=60
        ).raise_for_status()
    redirect_keys = live * 3 + soon_spent + soon_expired + gone + ["Unknwn1", "nope-nope", "X"]
    deadline = Deadline(SECONDS)

    def client(n: int) -> Counter[str]:
        rng, session, seen = random.Random(n), requests.Session(), Counter[str]()
        mine: list[str] = []
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            if not deadline:
                break
            roll = rng.random()
            if roll < 0.85:
                response = session.get(
                    f"{stack.base_url}/{rng.choice(redirect_keys)}", allow_redirects=False, timeout=60
                )
            elif roll < 0.90:
                response = session.head(f"{stack.base_url}/{rng.choice(redirect_keys)}", timeout=60)
            elif roll < 0.94 or not mine:
                response = session.post(
                    f"{stack.base_url}/links",
                    json={"url": f"https://example.com/c/{n}/{len(mine)}"},
                    headers=stack.headers(),
                    timeout=60,
                )
                if response.status_code == 201:
                    mine.append(response.json()["key"])
            elif roll < 0.97:
                response = session.get(
                    f"{stack.base_url}/links/{rng.choice(mine)}", headers=stack.headers(), timeout=60
                )
            elif roll < 0.99:
                response = session.patch(
                    f"{stack.base_url}/links/{rng.choice(mine)}",
                    json={"redirect_status": rng.choice([301, 302, 307, 308])},
                    headers=stack.headers(),
                    timeout=60,
                )
            else:
                response = session.delete(
                    f"{stack.base_url}/links/{mine.pop()}", headers=stack.headers(), timeout=60
                )
            status = response.status_code
            seen[str(status)] += 1
            if not (200 <= status < 400 or status in ALLOWED):
                seen[f"unexpected {response.request.method} {status}: {response.text[:200]}"] += 1
        return seen

    with ThreadPoolExecutor(CLIENTS) as pool:
        total = sum(pool.map(client, range(CLIENTS)), Counter[str]())
    unexpected = {k: v for k, v in total.items() if k.startswith("unexpected")}
    statuses = {k: v for k, v in total.items() if not k.startswith("unexpected")}
    requests_sent = sum(statuses.values())
    figures.record(
        "load held",
        seconds=SECONDS,
        clients=CLIENTS,
        requests=requests_sent,
        requests_per_second=round(requests_sent / SECONDS),
        statuses=dict(sorted(statuses.items())),
        unexpected=sum(unexpected.values()),
    )
    assert not unexpected, unexpected
    assert {"302", "404", "410"} <= set(statuses), statuses
    for key in soon_spent:  # each was hit far more than 3 times: exactly 3 redirects counted
        link = setup.get(f"{stack.base_url}/links/{key}", headers=stack.headers(), timeout=60).json()
        assert link["visits"] == 3
