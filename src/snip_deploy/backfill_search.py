"""``python -m snip_deploy.backfill_search --table NAME``: write the search texts on every live link
an earlier version made without them (docs/deploy.md, "Upgrading to search, bulk, export and
summary"), once, after the deploy that adds the ``by_owner_search`` index.

A search finds such a link without them (the filter passes it as a candidate and the read decides,
``snip.data.links_table``), but reads it on every search; with them, the filter does its work. Each
link is one conditional UpdateItem: only while it is live, still lacks the texts, and says what they
were made from (a link changed or deleted meanwhile is left alone: its own write made its texts).
Run again, it finds nothing left to do. Deploy-time code: no Lambda asset carries it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import boto3

from snip.data.item_codec import attribute_names, from_item, to_item
from snip.data.link_items import FIND_KEY, LISTED_AT, TAGS, search_values

_READ = ("key", "url", "title", TAGS, LISTED_AT, FIND_KEY, "deleted_at")


def backfill(client: Any, table: str) -> int:
    """Write the search texts of each live link of ``table`` that lacks them; how many were written."""
    written = 0
    pages = client.get_paginator("scan").paginate(
        TableName=table,
        ProjectionExpression=", ".join(f"#{name}" for name in _READ),
        ExpressionAttributeNames=attribute_names(*_READ),
    )
    for page in pages:
        for raw in page.get("Items", []):
            values = from_item(raw)
            live = LISTED_AT in values and "url" in values and "deleted_at" not in values
            if FIND_KEY in values or not live:
                continue
            written += _write(client, table, values)
    return written


def _write(client: Any, table: str, values: dict[str, Any]) -> int:
    key, url, title, tags = values["key"], values.get("url"), values.get("title"), values.get(TAGS)
    texts = search_values(key, url, title, list(tags) if tags is not None else [])
    unchanged = [f"attribute_exists(#{LISTED_AT})", f"attribute_not_exists(#{FIND_KEY})", "#url = :url"]
    expected: dict[str, object] = {":url": url}
    for name, value in (("title", title), (TAGS, tags)):
        if value is None:
            unchanged.append(f"attribute_not_exists(#{name})")
        else:
            unchanged.append(f"#{name} = :{name}")
            expected[f":{name}"] = value
    try:
        client.update_item(
            TableName=table,
            Key=to_item({"key": key}),
            UpdateExpression="SET " + ", ".join(f"#{name} = :{name}" for name in texts),
            ConditionExpression=" AND ".join(unchanged),
            ExpressionAttributeNames=attribute_names("url", "title", TAGS, LISTED_AT, *texts),
            ExpressionAttributeValues=to_item(
                {**expected, **{f":{name}": text for name, text in texts.items()}}
            ),
        )
    except client.exceptions.ConditionalCheckFailedException:
        return 0  # changed, deleted or filled meanwhile: its own write made its texts
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m snip_deploy.backfill_search", description=__doc__)
    parser.add_argument("--table", required=True, help="the links table (the stack's LinksTable output)")
    parser.add_argument("--endpoint-url", help="a DynamoDB endpoint other than AWS's (the local stack's)")
    args = parser.parse_args(argv)
    client = boto3.client("dynamodb", endpoint_url=args.endpoint_url)
    print(f"search texts written on {backfill(client, args.table)} links")
    return 0


if __name__ == "__main__":
    sys.exit(main())
