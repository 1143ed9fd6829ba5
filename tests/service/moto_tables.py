"""Snip's tables on moto, made once per test session and handed to each test as new.

Making them per test cost more than most tests' own work: ``mock_aws`` sets ``boto3``'s default
session aside, so every test built a new one (botocore's endpoint and service models parsed again,
~0.3 s), then sent one ``CreateTable`` per table. Here the tables are created once, under a mock of
their own, and kept as moto's objects (a deep copy, as moto's own backups do); each test still runs
inside its own ``mock_aws`` (every moto backend reset, as before) and gets a deep copy of those
empty tables, so it sees no item, stream record, TTL or tag another test wrote. The boto3 session
is one per test session: it caches models and credentials, not AWS state (each client copies the
session's event hooks, so hooks a test registers die with its clients).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

import boto3
from moto import mock_aws
from moto.dynamodb.models import dynamodb_backends

from snip.settings import DEFAULT_TABLES
from snip_deploy.tables import create_tables
from tests.service.visits_table_setup import ensure_visits_table

# moto's "keep boto3's default session": the test session's own is patched in instead.
_KEEP_SESSION = {"core": {"reset_boto3_session": False}}


@dataclass(frozen=True)
class EmptyTables:
    session: boto3.Session
    account_id: str
    region: str
    tables: dict[str, Any]  # moto's Table objects, as CreateTable left them: never handed out


def make_empty_tables() -> EmptyTables:
    """Create every table once, under a mock of its own, and keep moto's objects."""
    session = boto3.Session()
    with mock_aws(config=_KEEP_SESSION), mock.patch("boto3.DEFAULT_SESSION", session):
        client = boto3.client("dynamodb")
        create_tables(client, DEFAULT_TABLES)
        ensure_visits_table(client)
        region = client.meta.region_name
        found = [
            (account_id, backend)
            for account_id, regions in dynamodb_backends.items()
            for name, backend in regions.items()
            if name == region and backend.tables
        ]
        assert len(found) == 1, "the tables should be in one account and region"
        account_id, backend = found[0]
        others = (backend.backups, backend.table_imports, backend.table_exports, backend.resource_policies)
        assert not any(others), "CreateTable should have made tables only"
        return EmptyTables(session, account_id, region, copy.deepcopy(dict(backend.tables)))


@contextmanager
def tables_on_moto(empty: EmptyTables) -> Iterator[Any]:
    """A ``mock_aws`` of its own (all of moto reset) holding new copies of the empty tables;
    yields a DynamoDB client, as the per-test ``create_tables`` fixture did."""
    with mock_aws(config=_KEEP_SESSION), mock.patch("boto3.DEFAULT_SESSION", empty.session):
        backend = dynamodb_backends[empty.account_id][empty.region]
        assert not backend.tables, "mock_aws should have reset moto's DynamoDB"
        backend.tables.update(copy.deepcopy(empty.tables))
        yield boto3.client("dynamodb")
