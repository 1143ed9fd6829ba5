"""Read whole tables back after a run (any DynamoDB client: moto in-process or the local endpoint)."""

from __future__ import annotations

from typing import Any

from snip.settings import DEFAULT_TABLES, Env

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
KEYS = DEFAULT_TABLES[Env.KEYS_TABLE]
IDEMPOTENCY = DEFAULT_TABLES[Env.IDEMPOTENCY_TABLE]


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
    """The unused keys: items of the live shards (keygen's sizing record sits in a shard of its own)."""
    return [item["key"]["S"] for item in all_items(client, KEYS) if int(item["shard"]["N"]) >= 0]
