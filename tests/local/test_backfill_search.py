"""The one-off backfill of the search texts (``snip_deploy.backfill_search``): what a create writes
today, on every live link made before, and nothing else, once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from snip.data.item_codec import to_item
from snip.data.link_items import FOUND_IN, item_of, listed_at
from snip.domain.link import Link
from snip.settings import DEFAULT_TABLES, Env
from snip_deploy.backfill_search import backfill, main
from snip_deploy.tables import create_tables

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
AT = "2030-01-01T00:00:00Z"


def link(key: str, **fields: Any) -> Link:
    return Link(
        key=key,
        url=f"https://Example.com/{key}",
        owner="o",
        created_at=AT,
        listed_at=listed_at(AT, key),
        **fields,
    )


@pytest.fixture
def client() -> Iterator[Any]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(dynamodb, DEFAULT_TABLES)
        yield dynamodb


def put_as_before(client: Any, made: Link) -> None:
    """The item an earlier version wrote: no search texts."""
    item = {name: value for name, value in item_of(made).items() if name not in FOUND_IN.values()}
    client.put_item(TableName=LINKS, Item=item)


def stored(client: Any, key: str) -> dict[str, Any]:
    return client.get_item(TableName=LINKS, Key=to_item({"key": key}), ConsistentRead=True)["Item"]


def test_live_links_get_what_a_create_writes_once(client: Any) -> None:
    old = [link("Old-1", title="Größe", tags=("a", "b")), link("Old-2")]
    for made in old:
        put_as_before(client, made)
    client.put_item(TableName=LINKS, Item=item_of(link("New-1", title="new")))
    client.put_item(TableName=LINKS, Item=item_of(Link(key="gone", owner="o", deleted_at=AT)))
    assert backfill(client, LINKS) == 2
    for made in old:
        assert stored(client, made.key) == item_of(made)  # exactly what a create writes now
    assert not set(FOUND_IN.values()) & set(stored(client, "gone"))
    assert backfill(client, LINKS) == 0


def test_a_link_changed_meanwhile_is_left_to_its_own_write(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_as_before(client, link("Moving", title="before"))
    real_update = client.update_item

    def change_first(**kwargs: Any) -> Any:  # a PATCH lands between the scan and the backfill's write
        client.update_item = real_update
        real_update(
            TableName=LINKS,
            Key=to_item({"key": "Moving"}),
            UpdateExpression="SET #t = :t",
            ExpressionAttributeNames={"#t": "title"},
            ExpressionAttributeValues=to_item({":t": "after"}),
        )
        return real_update(**kwargs)

    monkeypatch.setattr(client, "update_item", change_first)
    assert backfill(client, LINKS) == 0
    assert "find_title" not in stored(client, "Moving")


def test_the_command(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    put_as_before(client, link("Cmd-1"))
    assert main(["--table", LINKS]) == 0
    assert capsys.readouterr().out.strip() == "search texts written on 1 links"
