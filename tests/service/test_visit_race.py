"""Two instances following a one-time link at the same moment: exactly one is redirected, and
exactly one visit event is written.

In-process moto serializes nothing, so the race runs against the local stack's AWS endpoint
(``snip_local.aws_endpoint``: moto made atomic per request, as DynamoDB is), started in its own
process. Each thread is one resolve instance, with its own client and adapters; a barrier releases
them together, round after round.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.config import Config

from snip.data.link_creation import LinkCreation
from snip.data.links_table import LinksTable
from snip.data.visits_table import VisitsTable
from snip.domain import clock
from snip.domain.errors import LinkGone
from snip.domain.link import Link
from snip.domain.visit_events import VisitEvent
from snip.operations.follow_link import Redirect, RedirectTables, Visit, follow
from snip.settings import DEFAULT_TABLES, Env

INSTANCES = 2
ROUNDS = 30

_SERVE = """
import sys
from snip_local.aws_endpoint import EndpointServer

server = EndpointServer(0)
server.start()
server.create_tables()
print(server.url, flush=True)
sys.stdin.read()  # serve until the test closes our stdin
server.stop()
"""


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SNIP_"))}
    env.update(DEFAULT_TABLES)
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    assert server.stdin is not None
    assert server.stdout is not None
    try:
        url = server.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), "the endpoint did not start"
        yield url
    finally:
        server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def instance_store(endpoint: str) -> RedirectTables:
    """What one resolve instance holds: its own client (own connections), its own adapters."""
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"mode": "standard", "max_attempts": 3}),
    )
    links = LinksTable(client, DEFAULT_TABLES[Env.LINKS_TABLE])
    return RedirectTables.over(links, VisitsTable(client, DEFAULT_TABLES[Env.VISITS_TABLE]))


def one_time_link(store: RedirectTables, key: str) -> None:
    LinkCreation(store.limited.links, DEFAULT_TABLES[Env.KEYS_TABLE]).put_link(
        Link(
            key,
            owner="owner-a",
            url="https://example.com/once",
            created_at=clock.now_ts(),
            max_visits=1,
            redirect_status=302,
        )
    )


def test_a_one_time_link_redirects_exactly_once_when_instances_race(endpoint: str) -> None:
    stores = [instance_store(endpoint) for _ in range(INSTANCES)]
    barrier = threading.Barrier(INSTANCES, timeout=30)

    def visit(store: RedirectTables, key: str) -> Redirect | LinkGone:
        barrier.wait()
        try:
            return follow(store, key, Visit(str(uuid.uuid4()), user_agent="Mozilla/5.0"))
        except LinkGone as gone:
            return gone

    with ThreadPoolExecutor(INSTANCES) as threads:
        for round_ in range(ROUNDS):
            key = f"Race{round_:03d}"
            one_time_link(stores[0], key)
            outcomes: list[Any] = list(threads.map(visit, stores, [key] * INSTANCES))
            redirects = [o for o in outcomes if isinstance(o, Redirect)]
            assert len(redirects) == 1, f"round {round_}: {outcomes}"
            assert sum(isinstance(o, LinkGone) for o in outcomes) == INSTANCES - 1
            link = stores[0].limited.links.get_link(key, consistent=True)
            assert link is not None
            assert link.visits + stores[0].limited.counted(key) == 1
            assert events_of(stores[0], key) == [True], f"round {round_}: one event, counted"


def events_of(store: RedirectTables, key: str) -> list[bool]:
    """The ``counted`` flag of each event of ``key``."""
    items = store.events.client.scan(TableName=store.events.visits_table, ConsistentRead=True)["Items"]
    return [VisitEvent.from_item(item).counted for item in items if item["key"]["S"] == key]
