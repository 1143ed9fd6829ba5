"""The local gateway's API-key check: SNIP_API_KEYS recorded at start, then the registry decides."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from snip.data.api_keys_table import ApiKeyRegistry, local_key_id
from snip.domain import api_scopes
from snip.settings import DEFAULT_TABLES, Env
from snip_deploy.tables import API_KEYS
from snip_local.gateway import Gateway
from snip_local.local_config import api_limits, parse_api_keys

TABLE = DEFAULT_TABLES[Env.API_KEYS_TABLE]


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiKeyRegistry]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**API_KEYS.create_table_args(TABLE))
        yield ApiKeyRegistry(client, TABLE)


def gateway(registry: ApiKeyRegistry, spec: str) -> Gateway:
    found = Gateway(None, None, parse_api_keys(spec), api_limits(), registry)  # type: ignore[arg-type]
    found.seed_keys()
    return found


def test_seeded_keys_are_recorded_without_their_secret(registry: ApiKeyRegistry) -> None:
    gateway(registry, "alice:s3cret-one,alice:s3cret-two:links.read")
    one, two = registry.get(local_key_id("s3cret-one")), registry.get(local_key_id("s3cret-two"))
    assert one is not None
    assert two is not None
    assert (one.owner, one.scopes) == ("alice", api_scopes.ALL)
    assert (two.owner, two.scopes) == ("alice", (api_scopes.READ,))
    stored: Any = registry.client.scan(TableName=TABLE)["Items"]
    assert "s3cret" not in json.dumps(stored)


def test_a_secret_names_its_key_until_revoked(registry: ApiKeyRegistry) -> None:
    found = gateway(registry, "alice:s3cret")
    assert found.key_id_of("s3cret") == local_key_id("s3cret")
    assert found.key_id_of("other") is None
    assert found.key_id_of(None) is None
    registry.revoke(local_key_id("s3cret"), "2030-01-01T00:00:00Z")
    assert found.key_id_of("s3cret") is None  # at once: no cache in the local gateway
