"""The visit pipeline as deployed: the visits table's stream → the aggregator (made by the stack,
with its table grants) → rollups, link counters and the raw event archive (S3 + a Glue table for
Athena).

The event source mapping takes its settings from ``snip_deploy.function_specs.VISIT_STREAM``,
which the local stack's poller (snip_local.stream_poller) reads too. A failed batch is retried
until the stream drops its records (24 h); those go to an encrypted SQS queue (the on-failure
destination): never dropped silently.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.lambda_function import SnipFunction
from infra.nag import acknowledge
from infra.table_constructs import SnipTables
from snip.data.visit_archive import PREFIX
from snip.settings import Env
from snip_deploy.function_specs import VISIT_STREAM
from snip_deploy.tables import VISITS

# The raw event's columns (snip.data.visit_archive.raw_event), in the Glue table's order.
EVENT_COLUMNS = (
    ("id", "string", "the request id: count DISTINCT id (a retried batch may repeat a line)"),
    ("at", "string", "RFC 3339 UTC with milliseconds"),
    ("key", "string", "the link's key"),
    ("owner", "string", "the link's owner"),
    ("bot", "boolean", "a link-preview bot or crawler"),
    ("referrer", "string", "host of the Referer, or (direct)"),
    ("country", "string", "ISO 3166-1 alpha-2 from CloudFront-Viewer-Country, or (unknown)"),
    ("device", "string", "desktop | mobile | tablet | other"),
    ("browser", "string", "browser family"),
    ("os", "string", "operating system family"),
    ("source", "string", "link | qr"),
    (
        "destination",
        "string",
        "why the visitor went where: a rule's index 0-9, split:<i>, or default (the url)",
    ),
)
GLUE_DATABASE = "snip_events"
GLUE_TABLE = "visits"
PROJECTION_START = "2026-01-01"  # the first dt partition projection enumerates
# How long an overwritten event object stays recoverable (the bucket is versioned): a month to
# notice a bad write, and what the old copies cost stays bounded.
NONCURRENT_VERSION_DAYS = 30


class VisitPipeline(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        aggregate: SnipFunction,
        tables: SnipTables,
        retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Events",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            # The aggregator may PutObject anywhere under events/: versioning keeps what a put
            # overwrote (a bad deploy, a misused role) instead of losing the archive to it.
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="keep-events",
                    expiration=Duration.days(retention_days),
                    # Old copies (an overwritten object, an expired one) go a month later; S3 then
                    # removes the delete marker left alone (a rule with Days does that itself).
                    noncurrent_version_expiration=Duration.days(NONCURRENT_VERSION_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            # The owners' analytics outlive the stack, like the tables.
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.bucket,
            "AwsSolutions-S1",
            "Only the aggregator's role writes here (one PutObject per batch and day) and readers "
            "go through Athena; a server access log bucket would log those same writes at a cost "
            "and would need its own; CloudTrail data events can be enabled by the operator.",
        )
        self.failed_batches = sqs.Queue(
            self,
            "FailedVisitBatches",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            self.failed_batches,
            "AwsSolutions-SQS3",
            "This queue is itself the on-failure destination of the visit stream's event source "
            "mapping (it receives batch descriptions after every retry failed); nothing consumes it "
            "automatically, so it needs no dead-letter queue of its own.",
        )

        self.aggregate = aggregate
        aggregate.function.add_environment(Env.EVENTS_BUCKET, self.bucket.bucket_name)
        # Write raw events under events/ only; never read, list or delete them.
        self.aggregate.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"], resources=[self.bucket.arn_for_objects(f"{PREFIX}/*")]
            )
        )
        acknowledge(
            self.aggregate.role,
            "AwsSolutions-IAM5[Resource::<VisitsEvents5312EDD3.Arn>/events/*]",
            "The aggregator writes one new object per batch and day under events/dt=.../, whose names "
            "it derives from the events: PutObject on that prefix is the narrowest grant possible.",
        )
        visits = tables[VISITS]
        self.aggregate.function.add_event_source(
            sources.DynamoEventSource(
                visits,
                starting_position=lambda_.StartingPosition[VISIT_STREAM.starting_position],
                batch_size=VISIT_STREAM.batch_size,
                parallelization_factor=VISIT_STREAM.parallelization_factor,
                tumbling_window=Duration.seconds(VISIT_STREAM.tumbling_window_seconds),
                max_batching_window=Duration.seconds(VISIT_STREAM.max_batching_window_seconds),
                bisect_batch_on_error=VISIT_STREAM.bisect_on_error,
                report_batch_item_failures=VISIT_STREAM.report_batch_item_failures,
                retry_attempts=VISIT_STREAM.retry_attempts,
                max_record_age=None
                if VISIT_STREAM.max_record_age_seconds is None
                else Duration.seconds(VISIT_STREAM.max_record_age_seconds),
                on_failure=sources.SqsDlq(self.failed_batches),
                filters=[
                    lambda_.FilterCriteria.filter({"eventName": lambda_.FilterRule.is_equal(name)})
                    for name in VISIT_STREAM.event_names
                ],
            )
        )
        self._glue_table()

    def _glue_table(self) -> None:
        """A Glue database and table over events/, partitioned by day (projected: no crawler)."""
        account = Stack.of(self).account
        database = glue.CfnDatabase(
            self,
            "EventsDatabase",
            catalog_id=account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=GLUE_DATABASE, description="Snip's raw visit events (docs/deploy.md, Athena)"
            ),
        )
        location = f"s3://{self.bucket.bucket_name}/{PREFIX}/"
        self.table = glue.CfnTable(
            self,
            "EventsTable",
            catalog_id=account,
            database_name=GLUE_DATABASE,
            table_input=glue.CfnTable.TableInputProperty(
                name=GLUE_TABLE,
                description="One line per visit (JSON Lines, gzip), partitioned by day (dt)",
                table_type="EXTERNAL_TABLE",
                partition_keys=[glue.CfnTable.ColumnProperty(name="dt", type="string")],
                parameters={
                    "classification": "json",
                    "projection.enabled": "true",
                    "projection.dt.type": "date",
                    "projection.dt.format": "yyyy-MM-dd",
                    "projection.dt.range": f"{PROJECTION_START},NOW",
                    "projection.dt.interval": "1",
                    "projection.dt.interval.unit": "DAYS",
                    "storage.location.template": f"{location}dt=${{dt}}/",
                },
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    location=location,
                    input_format="org.apache.hadoop.mapred.TextInputFormat",
                    output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                    serde_info=glue.CfnTable.SerdeInfoProperty(
                        serialization_library="org.openx.data.jsonserde.JsonSerDe"
                    ),
                    columns=[
                        glue.CfnTable.ColumnProperty(name=name, type=kind, comment=comment)
                        for name, kind, comment in EVENT_COLUMNS
                    ],
                ),
            ),
        )
        self.table.node.add_dependency(database)
