"""Snip's DynamoDB tables, defined once.

The CDK stack, the local stack and the tests all build their tables from these definitions.
The attribute names they need (the owner index's keys) come from ``snip.data.link_items``,
where the data package's adapters take them too, so that both agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from snip.data.link_items import BY_OWNER_INDEX, BY_OWNER_SEARCH_INDEX, FOUND_IN, LISTED_AT, OWNER, TAGS
from snip.settings import Env


@dataclass(frozen=True)
class IndexDef:
    """A global secondary index: its keys and the attributes it carries besides the keys."""

    name: str
    partition_key: tuple[str, str]  # (name, "S" | "N")
    sort_key: tuple[str, str]
    projected: tuple[str, ...] = ()  # non-key attributes (INCLUDE); none: KEYS_ONLY

    @property
    def projection(self) -> dict[str, Any]:
        if not self.projected:
            return {"ProjectionType": "KEYS_ONLY"}
        return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(self.projected)}


def _key_schema(keys: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [
        {"AttributeName": name, "KeyType": kind}
        for (name, _), kind in zip(keys, ["HASH", "RANGE"], strict=False)
    ]


@dataclass(frozen=True)
class TableDef:
    env_name: str  # the environment variable that carries the deployed table's name
    logical_id: str  # CDK construct id
    partition_key: tuple[str, str]  # (name, "S" | "N")
    sort_key: tuple[str, str] | None = None
    ttl_attribute: str | None = None  # idempotency records and visit events expire
    # A stream of new item images (DynamoDB Streams, NEW_IMAGE): the visits table's, which feeds
    # the aggregator (deployed: an event source mapping; locally: snip_local.stream_poller).
    stream: bool = False
    indexes: tuple[IndexDef, ...] = ()

    def create_table_args(self, table_name: str) -> dict[str, Any]:
        """Arguments for ``CreateTable`` (boto3), on-demand like the deployed tables."""
        keys = [self.partition_key] + ([self.sort_key] if self.sort_key else [])
        defined = dict(keys)
        for index in self.indexes:
            defined.update([index.partition_key, index.sort_key])
        args: dict[str, Any] = {
            "TableName": table_name,
            "KeySchema": _key_schema(keys),
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in defined.items()],
            "BillingMode": "PAY_PER_REQUEST",
            **(
                {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}}
                if self.stream
                else {}
            ),
        }
        if self.indexes:
            args["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": index.name,
                    "KeySchema": _key_schema([index.partition_key, index.sort_key]),
                    "Projection": index.projection,
                }
                for index in self.indexes
            ]
        return args


# GET /links: an owner's links newest first. The sort key is "<created_at>#<key>" (fixed-width
# time, so it sorts like the instant; the key makes it unique, so a cursor names one place).
# The index is sparse: a delete removes the attribute, so tombstones leave it. It carries the
# tags (for the tag filter) and nothing else: visits never write to it, and a page's links are
# read whole from the table (one BatchGetItem), fresh.
BY_OWNER = IndexDef(
    name=BY_OWNER_INDEX,
    partition_key=(OWNER, "S"),
    sort_key=(LISTED_AT, "S"),
    projected=(TAGS,),
)

# GET /links?q=: the same entries, carrying besides the tags the folded texts a search looks in
# (snip.data.link_items.FOUND_IN), so that a search's filter reads the index alone. A second index,
# not by_owner grown: DynamoDB cannot change an index's projection in place, and a stack that runs
# by_owner keeps it while this one is built beside it (docs/deploy.md, upgrading). Each write of a
# live link writes one entry in each.
BY_OWNER_SEARCH = IndexDef(
    name=BY_OWNER_SEARCH_INDEX,
    partition_key=(OWNER, "S"),
    sort_key=(LISTED_AT, "S"),
    projected=(TAGS, *FOUND_IN.values()),
)

# links: one item per key ever issued. A deleted link stays as a tombstone (deleted_at set),
# so that neither a generated key nor an alias is ever reissued. No TTL on this table.
LINKS = TableDef(
    env_name=Env.LINKS_TABLE,
    logical_id="Links",
    partition_key=("key", "S"),
    indexes=(BY_OWNER, BY_OWNER_SEARCH),
)

# keys: the pool of unused keys, spread over `pool_shards` partitions (shard = crc32(key) % shards)
# so that a claimer queries one random shard and concurrent claimers rarely meet.
KEYS = TableDef(
    env_name=Env.KEYS_TABLE, logical_id="Keys", partition_key=("shard", "N"), sort_key=("key", "S")
)

# idempotency: Powertools Idempotency's record layout (id, expiration TTL).
IDEMPOTENCY = TableDef(
    env_name=Env.IDEMPOTENCY_TABLE,
    logical_id="Idempotency",
    partition_key=("id", "S"),
    ttl_attribute="expiration",
)

# api-keys: the registry of API keys, one item per API Gateway API key id: owner, scopes, name,
# created_at, revoked_at (never a secret; locally a SHA-256 of it). Read by shorten (GetItem, via
# snip.data.api_keys_table, the one module that touches it), written by `snip keys`. Not the pool.
API_KEYS = TableDef(env_name=Env.API_KEYS_TABLE, logical_id="ApiKeys", partition_key=("key_id", "S"))

# visits: one item per redirect (snip.domain.visit_events), keyed by the request id, so a retried put
# makes no second event and writes spread over every partition. Its stream feeds the aggregator,
# which never writes here (it counts by a watermark per link, shard and hour, in rollups).
VISITS = TableDef(
    env_name=Env.VISITS_TABLE,
    logical_id="Visits",
    partition_key=("id", "S"),
    ttl_attribute="expires",
    stream=True,
)

# rollups: per link, one item per hour of visits (sort key ``h#2030-01-31T12``, snip.domain.rollups;
# a day is the sum of its hours) and its counters item (``link``, snip.data.counter_items), each
# carrying the aggregator's watermark per stream shard (``n#<shard tag>``, snip.data.rollups_table);
# the pipeline's progress (key ``#pipeline``). Earlier versions wrote day items (``d#2030-01-31``),
# no longer read. ``expires``, the TTL attribute, is only on the watermark items the first version
# kept beside the buckets (``w#<shard id>``): TTL removes them.
ROLLUPS = TableDef(
    env_name=Env.ROLLUPS_TABLE,
    logical_id="Rollups",
    partition_key=("key", "S"),
    sort_key=("bucket", "S"),
    ttl_attribute="expires",
)

ALL_TABLES = (LINKS, KEYS, IDEMPOTENCY, API_KEYS, VISITS, ROLLUPS)


def create_tables(client: Any, names: dict[str, str]) -> None:
    """Create the tables (local stack and tests). ``names`` maps env name -> table name."""
    for table in ALL_TABLES:
        name = names[table.env_name]
        client.create_table(**table.create_table_args(name))
        if table.ttl_attribute:
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
            )
