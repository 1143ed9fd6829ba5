"""The local stack's index Queries (``snip_local.moto_queries``) answer exactly as moto's own:
the same entries, projected alike, in the same order, the same count and the same place to go
on from, with or without a filter, a projection, a limit, a start key, in either direction."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from snip.data.link_items import BY_OWNER_INDEX, BY_OWNER_SEARCH_INDEX, item_of, listed_at
from snip.domain.link import Link
from snip.settings import DEFAULT_TABLES, Env
from snip_deploy.tables import create_tables
from snip_local import moto_queries

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(dynamodb, DEFAULT_TABLES)
        for i in range(40):
            owner = ("alice", "bob")[i % 2]
            created = f"2030-01-01T00:00:{i // 3:02d}Z"  # some share a second: the key orders them
            key = f"k{(i * 7) % 40:02d}"
            link = Link(
                key=key, url=f"https://example.com/{i}", owner=owner, created_at=created,
                tags=("even",) if i % 4 == 0 else ("odd", "x"), title=f"Title {i}",
                listed_at=listed_at(created, key),
            )  # fmt: skip
            dynamodb.put_item(TableName=LINKS, Item=item_of(link))
        # A tombstone (no listed_at) is in no index.
        dynamodb.put_item(TableName=LINKS, Item=item_of(Link(key="gone", owner="alice")))
        yield dynamodb


def answers(client: Any, args: dict[str, Any]) -> dict[str, Any]:
    answer = client.query(**args)
    return {name: answer.get(name) for name in ("Items", "Count", "ScannedCount", "LastEvaluatedKey")}


QUERIES = [
    {"IndexName": index, "ScanIndexForward": forward, **extra}
    for index, forward, extra in itertools.product(
        (BY_OWNER_INDEX, BY_OWNER_SEARCH_INDEX),
        (True, False),
        (
            {},
            {"Limit": 3},
            {"Limit": 7, "FilterExpression": "contains(#t, :tag)", "Names": {"#t": "tags"},
             "Values": {":tag": {"S": "even"}}},
            {"ProjectionExpression": "#k, #l", "Names": {"#k": "key", "#l": "listed_at"}},
            {"Limit": 4, "Start": 5},
            {"Before": "2030-01-01T00:00:06Z"},  # the owner totals' cut (owner_tally)
            {"Before": "2030-01-01T00:00:06Z", "Limit": 2, "Select": "COUNT"},
            {"Select": "COUNT"},  # how many links (LinksTable.count_links)
        ),
    )
]  # fmt: skip


@pytest.mark.parametrize("query", QUERIES, ids=repr)
def test_the_same_answers_as_motos_own(client: Any, query: dict[str, Any]) -> None:
    args: dict[str, Any] = {
        "TableName": LINKS,
        "IndexName": query["IndexName"],
        "KeyConditionExpression": "#o = :o",
        "ExpressionAttributeNames": {"#o": "owner", **query.get("Names", {})},
        "ExpressionAttributeValues": {":o": {"S": "alice"}, **query.get("Values", {})},
        "ScanIndexForward": query["ScanIndexForward"],
    }
    if "Before" in query:
        args["KeyConditionExpression"] += " AND #l < :before"
        args["ExpressionAttributeNames"]["#l"] = "listed_at"
        args["ExpressionAttributeValues"][":before"] = {"S": query["Before"]}
    for name in ("Limit", "FilterExpression", "ProjectionExpression", "Select"):
        if name in query:
            args[name] = query[name]
    if "Start" in query:  # start after the Start-th entry of the whole listing
        everything = client.query(**{k: v for k, v in args.items() if k != "Limit"})["Items"]
        args["ExclusiveStartKey"] = {n: everything[query["Start"]][n] for n in ("owner", "listed_at", "key")}
    theirs = answers(client, args)
    moto_queries.install()
    original = moto_queries._original_query

    def not_moto(*_: Any, **__: Any) -> Any:
        raise AssertionError("left to moto's own Query")

    moto_queries._original_query = not_moto
    try:
        ours = answers(client, args)
    finally:
        moto_queries._original_query = original
        moto_queries.uninstall()
    assert ours == theirs
    assert theirs["Count"] > 0
