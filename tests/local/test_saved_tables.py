"""snip_local.saved_tables: a save holds every table and the stream after the poller's position,
a restore puts them back numbered as they were, and an unreadable file is never overwritten."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from snip_deploy.tables import create_tables
from snip_local.local_config import REGION
from snip_local.local_functions import table_names
from snip_local.saved_tables import FILE_NAME, SavedStateError, TableKeeper, claim, forget

NAMES = table_names()
LINKS, VISITS = NAMES["SNIP_LINKS_TABLE"], NAMES["SNIP_VISITS_TABLE"]


def _client() -> Any:
    return boto3.client(
        "dynamodb",
        region_name=REGION,
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


@pytest.fixture
def tables() -> Iterator[Any]:
    """A fresh moto (every backend reset) with Snip's tables."""
    with mock_aws():
        client = _client()
        create_tables(client, NAMES)
        yield client


def _visit(client: Any, request_id: str, key: str = "Abc1234") -> None:
    client.put_item(TableName=VISITS, Item={"id": {"S": request_id}, "key": {"S": key}})


def _stream(client: Any) -> list[dict[str, Any]]:
    arn = client.describe_table(TableName=VISITS)["Table"]["LatestStreamArn"]
    streams = boto3.client(
        "dynamodbstreams",
        region_name=REGION,
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return list(streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"])


def _keeper(path: Path, handed: dict[str, int | None]) -> TableKeeper:
    return TableKeeper(path, threading.Lock(), lambda: 0, lambda: dict(handed))


def test_a_restore_puts_back_items_and_the_stream_after_the_position_numbered_as_before(
    tmp_path: Path,
) -> None:
    path = tmp_path / FILE_NAME
    with mock_aws():
        before = _client()
        create_tables(before, NAMES)
        before.put_item(
            TableName=LINKS, Item={"key": {"S": "kept-alias"}, "url": {"S": "https://example.com/"}}
        )
        for n in range(5):
            _visit(before, f"r{n}")
        numbers = [int(record["dynamodb"]["SequenceNumber"]) for record in _stream(before)]
        handed: dict[str, int | None] = {VISITS: numbers[2]}  # the aggregator was handed r0..r2
        assert _keeper(path, handed).save()
    saved = json.loads(path.read_text())
    assert saved["streams"][VISITS]["start"] == numbers[3]
    assert len(saved["streams"][VISITS]["records"]) == 2

    with mock_aws():  # a new stack: moto empty again
        client = _client()
        create_tables(client, NAMES)
        restored = _keeper(path, {}).restore()
        assert restored is not None
        assert restored.items[LINKS] == 1
        assert restored.items[VISITS] == 5
        assert restored.pending == 2
        assert client.get_item(TableName=LINKS, Key={"key": {"S": "kept-alias"}})["Item"]["url"]["S"] == (
            "https://example.com/"
        )
        assert client.scan(TableName=VISITS, Select="COUNT")["Count"] == 5
        _visit(client, "r5")  # a visit after the restart: numbered after every record before it
        stream = _stream(client)
        assert [record["dynamodb"]["NewImage"]["id"]["S"] for record in stream] == ["r3", "r4", "r5"]
        assert [int(record["dynamodb"]["SequenceNumber"]) for record in stream] == [
            *numbers[3:],
            numbers[-1] + 1,
        ]


def test_nothing_saved_is_an_empty_start_and_an_unreadable_file_stops_it(tables: Any, tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    assert _keeper(path, {}).restore() is None
    path.write_text('{"tables": ')
    with pytest.raises(SavedStateError, match="cannot be read"):
        _keeper(path, {}).restore()
    path.write_text('{"format": 99, "tables": {}, "streams": {}}')
    with pytest.raises(SavedStateError, match="not a saved state"):
        _keeper(path, {}).restore()


def test_a_save_is_skipped_when_nothing_was_written(tables: Any, tmp_path: Path) -> None:
    writes = [0]
    keeper = TableKeeper(tmp_path / FILE_NAME, threading.Lock(), lambda: writes[0], dict)
    assert keeper.save()
    assert not keeper.save()
    writes[0] += 1
    assert keeper.save()


def test_fresh_removes_the_saved_tables_and_the_events(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text("{}")
    (tmp_path / "events" / "dt=2030-01-01").mkdir(parents=True)
    (tmp_path / "events" / "dt=2030-01-01" / "a.jsonl").write_text("{}\n")
    (tmp_path / "failed-visit-batches.jsonl").write_text("{}\n")
    (tmp_path / "local-8080.json").write_text("{}")  # another stack's record: not FRESH's business
    removed = forget(tmp_path)
    assert sorted(path.name for path in removed) == ["events", "failed-visit-batches.jsonl", FILE_NAME]
    assert [path.name for path in tmp_path.iterdir()] == ["local-8080.json"]


def test_one_stack_per_folder(tmp_path: Path) -> None:
    with (
        claim(tmp_path),
        pytest.raises(SavedStateError, match=rf"another local stack \(pid {os.getpid()}\)"),
    ):
        claim(tmp_path)
    claim(tmp_path).close()  # free again once the first holder is gone
