"""Owners, keys and scopes in the links API (CONTRACT §2 "Authentication, owners and scopes").

The registry is written here as ``snip keys`` writes it; the function reads it through
``snip.operations.callers``, whose cache is driven by a clock the test moves (no sleeps).
"""

from __future__ import annotations

from typing import Any

import pytest

from snip.data import clients
from snip.data.api_keys_table import ApiKeyRecord, ApiKeyRegistry
from snip.domain import api_scopes
from snip.execution import environment
from snip.operations.callers import CACHE_SECONDS, Owners
from snip.settings import DEFAULT_TABLES, Env
from tests.service.conftest import Call, scan

REGISTRY = DEFAULT_TABLES[Env.API_KEYS_TABLE]
LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def registry(dynamodb: Any, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> ApiKeyRegistry:
    """The registry, and the function's owners cache on the test's clock."""
    found = ApiKeyRegistry(dynamodb, REGISTRY)
    owners = Owners(ApiKeyRegistry(clients.dynamodb(), REGISTRY), clock=clock)  # the function's client
    monkeypatch.setattr(environment, "owners", lambda: owners)
    return found


def record(key_id: str, owner: str, *key_scopes: str) -> ApiKeyRecord:
    return ApiKeyRecord(key_id, owner, key_scopes or api_scopes.ALL, "2030-01-01T00:00:00Z")


def create(call: Call, key_id: str, url: str = "https://example.com/owned") -> Any:
    return call("POST", "/links", body={"url": url}, api_key_id=key_id)


pytestmark = pytest.mark.usefixtures("filled_pool")


def test_two_keys_of_one_owner_share_its_links(call: Call, registry: ApiKeyRegistry, dynamodb: Any) -> None:
    registry.put(record("key-1", "alice"))
    registry.put(record("key-2", "alice"))
    made = create(call, "key-1")
    assert made.status == 201, made.body
    key = made.json["key"]
    stored = {item["key"]["S"]: item["owner"]["S"] for item in scan(dynamodb, LINKS)}
    assert stored[key] == "alice"  # the owner, not the key
    assert call("GET", f"/links/{key}", api_key_id="key-2").status == 200
    assert call("PATCH", f"/links/{key}", body={"disabled": True}, api_key_id="key-2").status == 200
    assert call("DELETE", f"/links/{key}", api_key_id="key-2").status == 204


def test_another_owner_gets_404(call: Call, registry: ApiKeyRegistry) -> None:
    registry.put(record("key-a", "alice"))
    registry.put(record("key-b", "bob"))
    key = create(call, "key-a").json["key"]
    reply = call("GET", f"/links/{key}", api_key_id="key-b")
    assert reply.status == 404
    assert reply.error_code == "link_not_found"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/links", {"url": "https://example.com/"}),
        ("PATCH", "/links/{key}", {"disabled": True}),
        ("DELETE", "/links/{key}", None),
        ("POST", "/links/bulk", {"keys": ["{key}"], "action": "disable"}),
    ],
)
def test_a_read_only_key_may_not_write(
    call: Call, registry: ApiKeyRegistry, method: str, path: str, body: Any
) -> None:
    registry.put(record("writer", "alice"))
    registry.put(record("reader", "alice", api_scopes.READ))
    key = create(call, "writer").json["key"]
    reply = call(method, path.format(key=key), body=body, api_key_id="reader")
    assert reply.status == 403
    assert reply.error_code == "insufficient_scope"
    assert reply.headers["Content-Type"] == "application/json"
    assert call("GET", f"/links/{key}", api_key_id="reader").status == 200  # read is allowed


def test_scope_is_checked_before_the_body(call: Call, registry: ApiKeyRegistry) -> None:
    registry.put(record("reader", "alice", api_scopes.READ))
    reply = call("POST", "/links", body="not json", api_key_id="reader")
    assert reply.status == 403
    assert reply.error_code == "insufficient_scope"


def test_a_write_key_reads_too(call: Call, registry: ApiKeyRegistry) -> None:
    registry.put(record("writer", "alice", api_scopes.WRITE))
    key = create(call, "writer").json["key"]
    assert call("GET", f"/links/{key}", api_key_id="writer").status == 200


def test_a_key_without_a_record_is_its_own_owner(call: Call, registry: ApiKeyRegistry, dynamodb: Any) -> None:
    """Links made before owners existed (owner = API key id) stay reachable by their key."""
    key = create(call, "legacy-key").json["key"]
    stored = {item["key"]["S"]: item["owner"]["S"] for item in scan(dynamodb, LINKS)}
    assert stored[key] == "legacy-key"
    # ...and a record naming the key id as its owner keeps them, with scopes of its own.
    assert call("DELETE", f"/links/{key}", api_key_id="legacy-key").status == 204


def test_a_revoked_key_is_refused_once_the_cache_expires(
    call: Call, registry: ApiKeyRegistry, clock: Clock
) -> None:
    registry.put(record("key-1", "alice"))
    key = create(call, "key-1").json["key"]
    registry.revoke("key-1", "2030-01-02T00:00:00Z")
    clock.now += CACHE_SECONDS - 1
    assert call("GET", f"/links/{key}", api_key_id="key-1").status == 200  # still cached
    clock.now += 1
    reply = call("GET", f"/links/{key}", api_key_id="key-1")
    assert reply.status == 403
    assert reply.error_code == "key_revoked"


def test_the_registry_is_read_once_per_key_within_the_cache(
    call: Call, registry: ApiKeyRegistry, clock: Clock
) -> None:
    registry.put(record("key-1", "alice"))
    reads: list[str] = []

    def count(params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") == REGISTRY:
            reads.append(params["Key"]["key_id"]["S"])

    clients.dynamodb().meta.events.register("before-parameter-build.dynamodb.GetItem", count)
    for _ in range(3):
        call("GET", "/links/Nothing1", api_key_id="key-1")
    assert reads == ["key-1"]
    clock.now += CACHE_SECONDS
    call("GET", "/links/Nothing1", api_key_id="key-1")
    assert reads == ["key-1", "key-1"]


def test_public_routes_need_no_key(call: Call, registry: ApiKeyRegistry) -> None:
    assert call("GET", "/health", api_key_id=None).status == 200
