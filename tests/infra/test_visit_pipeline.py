"""The visit pipeline in the template: stream → mapping → aggregator, the raw event bucket, Glue,
and the aggregator's permissions, each one least privilege."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.context import EVENT_RETENTION_DAYS, SnipConfig
from infra.visit_pipeline import EVENT_COLUMNS, GLUE_DATABASE
from snip.data.owner_totals import OwnerEntry, OwnersTable
from snip.data.rollups_table import RollupsTable, StreamVisit, position
from snip.data.visit_archive import raw_event
from snip.domain.rollups import ClassifiedVisit, UserAgentClass
from snip.settings import Env
from snip_deploy.function_specs import VISIT_STREAM
from snip_deploy.tables import ROLLUPS, VISITS
from tests.infra.helpers import as_list, get_att, logical_id, resource, resources
from tests.infra.test_functions import function, function_id, statements, table_id
from tests.visits import visit

BUCKET = "AWS::S3::Bucket"
QUEUE = "AWS::SQS::Queue"


def test_the_mapping_feeds_the_aggregator_from_the_visits_stream(template: dict[str, Any]) -> None:
    (mapping,) = resources(template, "AWS::Lambda::EventSourceMapping").values()
    props = mapping["Properties"]
    assert props["EventSourceArn"] == get_att(table_id(template, VISITS), "StreamArn")
    assert props["FunctionName"] == {"Ref": function_id(template, "aggregate")}
    assert props["StartingPosition"] == "TRIM_HORIZON"
    assert props["BatchSize"] == VISIT_STREAM.batch_size == 1200
    # Exactly once rests on these two (snip.data.rollups_table): one batch per shard at a time, in
    # order; and the shard's id in every event, which only a tumbling window gives.
    assert props["ParallelizationFactor"] == 1
    assert props["TumblingWindowInSeconds"] == VISIT_STREAM.tumbling_window_seconds == 900
    assert props["MaximumBatchingWindowInSeconds"] == VISIT_STREAM.max_batching_window_seconds
    assert props["BisectBatchOnFunctionError"] is True
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # Retried until the stream drops the records (24 h): a conflict or an outage delays, never loses.
    assert props["MaximumRetryAttempts"] == VISIT_STREAM.retry_attempts == -1
    assert "MaximumRecordAgeInSeconds" not in props  # Lambda's default: -1, the stream's retention
    assert [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]] == [
        {"eventName": ["INSERT"]}
    ]
    queue = logical_id(template, QUEUE, "VisitsFailedVisitBatches")
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == get_att(queue)


def test_failed_batches_queue_is_encrypted_and_ssl_only(template: dict[str, Any]) -> None:
    queue_id = logical_id(template, QUEUE, "VisitsFailedVisitBatches")
    queue = template["Resources"][queue_id]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 86_400
    (policy,) = [
        p
        for p in resources(template, "AWS::SQS::QueuePolicy").values()
        if {"Ref": queue_id} in p["Properties"]["Queues"]
    ]
    (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_aggregator_statements_on_tables_and_stream(template: dict[str, Any]) -> None:
    found = {
        (json.dumps(s["Resource"], sort_keys=True), tuple(sorted(as_list(s["Action"])))): s.get("Condition")
        for s in statements(template, "aggregate")
        if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))
    }

    def key(table: Any, *actions: str, attribute: str = "Arn") -> tuple[str, tuple[str, ...]]:
        resource_ = "*" if table is None else get_att(table_id(template, table), attribute)
        return json.dumps(resource_, sort_keys=True), tuple(sorted(actions))

    def only(names: list[str]) -> dict[str, Any]:
        return {"ForAllValues:StringEquals": {"dynamodb:Attributes": names}}

    assert found == {
        # Never the links table; reads counters items (deleted links', top-10 candidates').
        key(ROLLUPS, "dynamodb:BatchGetItem", "dynamodb:UpdateItem"): None,
        key(
            VISITS,
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            attribute="StreamArn",
        ): None,
        # ListStreams has no resource-level permission; minimizePolicies merges it with X-Ray's.
        key(None, "dynamodb:ListStreams", "xray:PutTelemetryRecords", "xray:PutTraceSegments"): None,
    }


class _RecordingClient:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def update_item(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        return {}


def test_the_aggregators_requests_write_only_rollups_without_a_transaction() -> None:
    """The store's own requests (people and bots, two hours): plain updates of the rollups table
    only, an hour's and the counters', never a link's item."""
    client = _RecordingClient()
    store = RollupsTable(client, rollups_table="rollups")  # type: ignore[arg-type]
    agent = UserAgentClass("mobile", "Mobile Safari", "iOS")
    visits = [
        StreamVisit(
            position(str(10**20 + n)),
            ClassifiedVisit(visit("AbC1234", n, at=f"2030-01-31T1{n % 2}:00:00.000Z", bot=n == 3), agent),
        )
        for n in range(4)
    ]
    assert store.count("AbC1234", "shardId-1", visits).hours == 4
    owners = OwnersTable(client, rollups_table="rollups")  # type: ignore[arg-type]
    owners.add("o", "tag", [OwnerEntry(visit.position, "AbC1234", visits=1, total=3) for visit in visits])
    assert {request["TableName"] for request in client.requests} == {"rollups"}
    buckets = [request["Key"]["bucket"]["S"] for request in client.requests]
    assert buckets == ["h#2030-01-31T10", "h#2030-01-31T11", "link", "totals"]


def test_the_aggregator_is_told_its_tables_and_bucket(template: dict[str, Any]) -> None:
    env = function(template, "aggregate")["Properties"]["Environment"]["Variables"]
    assert Env.VISITS_TABLE not in env  # read through its stream only, never written
    assert env[Env.ROLLUPS_TABLE] == {"Ref": table_id(template, ROLLUPS)}
    assert Env.LINKS_TABLE not in env  # never read or written
    assert env[Env.EVENTS_BUCKET] == {"Ref": logical_id(template, BUCKET, "VisitsEvents")}


def test_shorten_reads_the_rollups_it_answers_stats_from(template: dict[str, Any]) -> None:
    env = function(template, "shorten")["Properties"]["Environment"]["Variables"]
    assert env[Env.ROLLUPS_TABLE] == {"Ref": table_id(template, ROLLUPS)}


def test_events_bucket_is_private_encrypted_ssl_only_expiring_and_retained(template: dict[str, Any]) -> None:
    bucket_id = logical_id(template, BUCKET, "VisitsEvents")
    bucket = template["Resources"][bucket_id]
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (rule,) = props["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == EVENT_RETENTION_DAYS == 400
    assert rule["Status"] == "Enabled"
    (policy,) = [
        p
        for p in resources(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert [s["Condition"] for s in denies] == [{"Bool": {"aws:SecureTransport": "false"}}]


def test_only_the_aggregator_touches_s3_and_only_to_put_events(template: dict[str, Any]) -> None:
    bucket_id = logical_id(template, BUCKET, "VisitsEvents")
    granted = {
        name: [
            s for s in statements(template, name) if any(a.startswith("s3:") for a in as_list(s["Action"]))
        ]
        for name in ("shorten", "resolve", "keygen", "aggregate")
    }
    assert granted["shorten"] == granted["resolve"] == granted["keygen"] == []
    (put,) = granted["aggregate"]
    assert put["Action"] == "s3:PutObject"
    assert put["Resource"] == {"Fn::Join": ["", [get_att(bucket_id), "/events/*"]]}


def test_glue_table_reads_the_raw_events_by_day(template: dict[str, Any]) -> None:
    (database,) = resources(template, "AWS::Glue::Database").values()
    assert database["Properties"]["DatabaseInput"]["Name"] == GLUE_DATABASE
    table = resource(template, "AWS::Glue::Table", "VisitsEventsTable")["Properties"]
    assert table["DatabaseName"] == GLUE_DATABASE
    given = table["TableInput"]
    assert given["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    assert given["Parameters"]["projection.enabled"] == "true"
    assert given["Parameters"]["projection.dt.type"] == "date"
    assert given["Parameters"]["projection.dt.format"] == "yyyy-MM-dd"
    bucket = {"Ref": logical_id(template, BUCKET, "VisitsEvents")}
    assert given["Parameters"]["storage.location.template"] == {
        "Fn::Join": ["", ["s3://", bucket, "/events/dt=${dt}/"]]
    }
    storage = given["StorageDescriptor"]
    assert storage["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    # The columns are exactly the archive's fields, in its order.
    line = raw_event(ClassifiedVisit(visit("AbC1234", 0), UserAgentClass("desktop", "Chrome", "Windows")))
    assert [c["Name"] for c in storage["Columns"]] == list(line) == [name for name, _, _ in EVENT_COLUMNS]
    assert "user_agent" not in line


@pytest.mark.parametrize("days", [0, 3651])
def test_event_retention_is_bounded(days: int) -> None:
    with pytest.raises(ValueError, match="eventRetentionDays"):
        SnipConfig(event_retention_days=days)
