"""The DynamoDB tables are the ones snip_deploy.tables defines, and the data that must survive does."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.table_constructs import RETAINED
from snip_deploy.tables import ALL_TABLES, API_KEYS, IDEMPOTENCY, KEYS, LINKS, ROLLUPS, VISITS, TableDef
from tests.infra.helpers import logical_id, resource

TABLE = "AWS::DynamoDB::Table"


def table(template: dict[str, Any], table_def: TableDef) -> dict[str, Any]:
    return resource(template, TABLE, f"Tables{table_def.logical_id}")


@pytest.mark.parametrize("table_def", ALL_TABLES, ids=lambda t: t.logical_id)
def test_key_schema_and_billing_come_from_snip_tables(template: dict[str, Any], table_def: TableDef) -> None:
    expected = table_def.create_table_args("unused")
    props = table(template, table_def)["Properties"]
    assert props["KeySchema"] == expected["KeySchema"]
    assert sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        expected["AttributeDefinitions"], key=lambda a: a["AttributeName"]
    )
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in props


@pytest.mark.parametrize("table_def", ALL_TABLES, ids=lambda t: t.logical_id)
def test_encrypted_with_point_in_time_recovery(template: dict[str, Any], table_def: TableDef) -> None:
    props = table(template, table_def)["Properties"]
    # SSEEnabled without a key: KMS with the AWS-managed aws/dynamodb key.
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


@pytest.mark.parametrize("table_def", [LINKS, KEYS, API_KEYS, VISITS, ROLLUPS], ids=lambda t: t.logical_id)
def test_data_tables_are_retained_and_protected(template: dict[str, Any], table_def: TableDef) -> None:
    found = table(template, table_def)
    assert found["DeletionPolicy"] == "Retain"
    assert found["UpdateReplacePolicy"] == "Retain"
    assert found["Properties"]["DeletionProtectionEnabled"] is True


def test_idempotency_records_go_with_the_stack(template: dict[str, Any]) -> None:
    found = table(template, IDEMPOTENCY)
    assert IDEMPOTENCY.logical_id not in RETAINED
    assert found["DeletionPolicy"] == "Delete"
    assert found["Properties"].get("DeletionProtectionEnabled") in (None, False)


@pytest.mark.parametrize("table_def", [IDEMPOTENCY, VISITS, ROLLUPS], ids=lambda t: t.logical_id)
def test_ttl_on_idempotency_records_visit_events_and_watermarks(
    template: dict[str, Any], table_def: TableDef
) -> None:
    assert table_def.ttl_attribute
    assert table(template, table_def)["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": table_def.ttl_attribute,
        "Enabled": True,
    }


def test_ttl_only_there(template: dict[str, Any]) -> None:
    with_ttl = Template.from_json(template).find_resources(
        TABLE, {"Properties": {"TimeToLiveSpecification": Match.any_value()}}
    )
    assert sorted(with_ttl) == sorted(
        logical_id(template, TABLE, f"Tables{t.logical_id}") for t in (IDEMPOTENCY, VISITS, ROLLUPS)
    )


def test_only_watermarks_expire_among_the_rollups() -> None:
    """The rollups table's TTL attribute is the aggregator's watermark's alone: a bucket never has it."""
    from snip.data.rollups_table import WATERMARK_EXPIRES
    from snip.domain.rollups import BucketDelta

    assert ROLLUPS.ttl_attribute == WATERMARK_EXPIRES
    assert WATERMARK_EXPIRES not in BucketDelta(visits=1, bot_visits=1).counters()


def test_only_the_visits_table_has_a_stream_of_new_images(template: dict[str, Any]) -> None:
    assert VISITS.create_table_args("x")["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
    streams = {t.logical_id: table(template, t)["Properties"].get("StreamSpecification") for t in ALL_TABLES}
    assert streams == {t.logical_id: None for t in ALL_TABLES} | {
        VISITS.logical_id: {"StreamViewType": "NEW_IMAGE"}
    }


def test_rollups_are_one_query_per_range() -> None:
    """Per link (partition key) its buckets sort by time (sort key h#... / d#...)."""
    assert (ROLLUPS.partition_key, ROLLUPS.sort_key) == (("key", "S"), ("bucket", "S"))
    assert VISITS.partition_key == ("id", "S")  # the request id: no hot partition


@pytest.mark.parametrize("table_def", ALL_TABLES, ids=lambda t: t.logical_id)
def test_indexes_come_from_snip_tables(template: dict[str, Any], table_def: TableDef) -> None:
    """The deployed indexes are the ones the local stack and the tests create (create_table_args)."""
    expected = table_def.create_table_args("unused").get("GlobalSecondaryIndexes", [])
    props = table(template, table_def)["Properties"]
    assert props.get("GlobalSecondaryIndexes", []) == expected


def test_links_listing_indexes(template: dict[str, Any]) -> None:
    """GET /links: the owner's links by creation time, sparse, carrying only the tags; a search
    reads a second index that carries the folded texts too (by_owner kept as it was: DynamoDB
    cannot change an index's projection in place)."""
    listing, search = table(template, LINKS)["Properties"]["GlobalSecondaryIndexes"]
    assert (listing["IndexName"], search["IndexName"]) == ("by_owner", "by_owner_search")
    for index in (listing, search):
        assert index["KeySchema"] == [
            {"AttributeName": "owner", "KeyType": "HASH"},
            {"AttributeName": "listed_at", "KeyType": "RANGE"},
        ]
        assert "ProvisionedThroughput" not in index
    # Visits (counters, markers), notes and the url itself are not projected: a redirect never
    # writes to either index, and a search reads only what it filters on.
    assert listing["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["tags"]}
    assert search["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["tags", "find_key", "find_url", "find_title", "find_tags"],
    }
    definitions = {
        a["AttributeName"]: a["AttributeType"]
        for a in table(template, LINKS)["Properties"]["AttributeDefinitions"]
    }
    assert definitions == {"key": "S", "owner": "S", "listed_at": "S"}
