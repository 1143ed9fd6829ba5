"""Snip's stack: tables, functions, API, the front door, schedule, the visit pipeline, monitoring
and the optional WAF."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.api import SnipApi
from infra.context import SnipConfig, settings_environment
from infra.distribution import FrontDoor
from infra.edge_throttle import EdgeThrottlePage
from infra.keygen_rule import KeygenRule
from infra.kms_keys import logs_key
from infra.lambda_function import SnipFunction
from infra.monitoring import Monitoring
from infra.table_constructs import SnipTables
from infra.visit_pipeline import VisitPipeline
from infra.waf import EdgeWaf, RedirectWaf
from snip.data.counter_items import DELETE_ATTRIBUTES, REDIRECT_ATTRIBUTES
from snip.settings import Env
from snip_deploy import powertools
from snip_deploy.function_specs import AGGREGATE, CONSOLE, KEYGEN, RESOLVE, SHORTEN
from snip_deploy.tables import API_KEYS, IDEMPOTENCY, KEYS, LINKS, ROLLUPS, VISITS


class SnipStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: SnipConfig,
        edge_web_acl_arn: str | None = None,
        edge_throttle_page: lambda_.IVersion | None = None,
        **kwargs: Any,
    ) -> None:
        """``edge_web_acl_arn``, ``edge_throttle_page``: the front door's web ACL and its throttle
        page's function version when another stack holds them (infra/app.py)."""
        super().__init__(scope, construct_id, description="Snip: a serverless URL shortener", **kwargs)
        # Everything configurable comes from CDK context (config), never from the deployer's shell.
        settings = config.settings
        tables = SnipTables(
            self,
            "Tables",
            warm_writes={VISITS: config.visits_warm_writes} if config.visits_warm_writes else None,
        )
        # One key for every log group of the stack (infra/kms_keys.py says why).
        log_encryption = logs_key(self, "LogsKey")
        powertools_layer = lambda_.LayerVersion.from_layer_version_arn(
            self,
            "Powertools",
            powertools.layer_arn(self.region, config.powertools_layer_version),
        )
        # keygen and shorten must agree on the pool's shape (shorten queries the shards keygen
        # fills), and the pool alarm on its threshold: all three take them from one Settings;
        # each function is told the settings whose declarations name it (snip.settings).
        keygen = SnipFunction(
            self,
            "Keygen",
            spec=KEYGEN,
            layer=powertools_layer,
            logs_key=log_encryption,
            tables=[
                # Refill (PutItem in transactions), count (Scan), move keys after a shard change and
                # trim the pool back to its floor (DeleteItem; docs/architecture.md, keygen).
                tables.access(KEYS, "PutItem", "Scan", "DeleteItem"),
                tables.access(LINKS, "ConditionCheckItem"),
            ],
            environment=settings_environment(settings, KEYGEN.name),
        )

        shorten = SnipFunction(
            self,
            "Shorten",
            spec=SHORTEN,
            layer=powertools_layer,
            logs_key=log_encryption,
            tables=[
                # Claiming a key is one transaction: Delete from the pool + conditional Put of the link.
                tables.access(KEYS, "Query", "DeleteItem"),
                # No ConditionCheckItem: shorten's writes carry their conditions themselves.
                # GET /links: a Query of the by_owner index, then the page's links in one BatchGetItem.
                tables.access(LINKS, "PutItem", "GetItem", "UpdateItem", "Query", "BatchGetItem"),
                tables.access(IDEMPOTENCY, "GetItem", "PutItem", "UpdateItem", "DeleteItem"),
                # The owner and scopes of the calling API key; `snip keys` writes them, not shorten.
                tables.access(API_KEYS, "GetItem"),
                # GET /links/{key}/stats: one Query of the link's hour rollups and one GetItem of
                # the pipeline's progress (as_of); the links' counters items in one BatchGetItem;
                # GET /links/summary: the owner's totals and the cut (GetItem).
                tables.access(ROLLUPS, "Query", "GetItem", "BatchGetItem"),
                # DELETE: in the tombstone's transaction, the link's counters item frozen (its
                # marker only) and its GoneEvent put (snip.data.owner_totals.deletion).
                tables.access(ROLLUPS, "UpdateItem", attributes=DELETE_ATTRIBUTES),
                tables.access(VISITS, "PutItem"),
            ],
            environment={
                **settings_environment(settings, SHORTEN.name),
                Env.KEYGEN_FUNCTION: keygen.function.function_name,
                **({Env.PUBLIC_BASE_URL: config.public_base_url} if config.public_base_url else {}),
            },
        )
        shorten.allow_invoke(keygen)

        resolve = SnipFunction(
            self,
            "Resolve",
            spec=RESOLVE,
            layer=powertools_layer,
            logs_key=log_encryption,
            # Read the link; every GET writes a visit event (a conditional PutItem, keyed by the
            # request id); a link with max_visits is also counted on its counters item in the
            # rollups table, by an Update in the same TransactWriteItems as the event's Put (IAM
            # authorizes them as UpdateItem and PutItem). resolve never writes a link's item, and
            # on the counters item names only the count's attributes.
            tables=[
                tables.access(LINKS, "GetItem"),
                tables.access(ROLLUPS, "UpdateItem", "GetItem", attributes=REDIRECT_ATTRIBUTES),
                tables.access(VISITS, "PutItem"),
                # Whether an event whose put's answer was lost is there: its key, nothing else.
                tables.access(VISITS, "GetItem", attributes=("id",)),
            ],
            environment={
                **settings_environment(settings, RESOLVE.name),
                # The custom domain only: the distribution's own name would make resolve depend on
                # the distribution, whose origin is resolve's Function URL (a cycle).
                **({Env.PUBLIC_BASE_URL: config.public_base_url} if config.public_base_url else {}),
            },
            # The redirect rate's cap behind the front door (a Function URL takes about 10
            # requests per second per environment): context resolveReservedConcurrency.
            reserved_concurrency=config.resolve_reserved_concurrency if config.front_door else None,
        )
        # The visits table's stream → the aggregator → rollups, link counters, raw events in S3.
        aggregate = SnipFunction(
            self,
            "Aggregate",
            spec=AGGREGATE,
            layer=powertools_layer,
            logs_key=log_encryption,
            tables=[
                # ADD to the link's hour rollups and its counters item, each moving the shard's
                # watermark; the owners' totals and their cut; the pipeline's progress. Reads the
                # counters items of deleted links and of the top-10 candidates (BatchGetItem).
                # Never the links table.
                tables.access(ROLLUPS, "UpdateItem", "BatchGetItem"),
            ],
        )
        pipeline = VisitPipeline(
            self, "Visits", aggregate=aggregate, tables=tables, retention_days=config.event_retention_days
        )
        # The web console's static files: no table, no settings, no Powertools (it imports none).
        console = SnipFunction(self, "Console", spec=CONSOLE, layer=None, logs_key=log_encryption, tables=[])
        functions = [shorten, resolve, keygen, aggregate, console]

        KeygenRule(self, "Schedule", keygen=keygen)
        api = SnipApi(
            self,
            "Api",
            functions={fn.spec: fn.function for fn in functions},
            limits=config.limits,
            config=config,
            logs_key=log_encryption,
        )
        front_door = None
        if config.front_door:
            web_acl_arn = edge_web_acl_arn
            if config.waf and web_acl_arn is None:  # this stack is in us-east-1 (infra/app.py)
                web_acl_arn = EdgeWaf(self, "EdgeWaf").web_acl.attr_arn
            throttle_page = edge_throttle_page
            if config.edge_throttle_page and throttle_page is None:  # in us-east-1, as above
                throttle_page = EdgeThrottlePage(self, "EdgeThrottlePage").version
            front_door = FrontDoor(
                self,
                "FrontDoor",
                resolve=resolve.function,
                rest_api=api.rest_api,
                config=config,
                web_acl_arn=web_acl_arn,
                throttle_page=throttle_page,
                alias_scope=api,
            )
            # Short URLs name the public host, whichever address the API was called on.
            shorten.function.add_environment(Env.PUBLIC_BASE_URL, front_door.public_base_url)
        elif config.waf:
            RedirectWaf(self, "Waf", stage_arn=api.rest_api.deployment_stage.stage_arn)
        monitoring = Monitoring(
            self,
            "Monitoring",
            api=api.rest_api,
            functions=functions,
            tables=[(table_def.logical_id, table) for table_def, table in tables.items()],
            pool_threshold=settings.refill_threshold,
            alarm_email=config.alarm_email,
            aggregator=aggregate,
            failed_visit_batches=pipeline.failed_batches,
        )

        CfnOutput(self, "ApiUrl", value=api.rest_api.url, description="The API's stage URL")
        if front_door:
            CfnOutput(
                self,
                "PublicUrl",
                value=front_door.public_base_url,
                description="Snip's public host: short links, the API and the console",
            )
            CfnOutput(self, "DistributionId", value=front_door.distribution.distribution_id)
            CfnOutput(
                self,
                "DistributionDomain",
                value=front_door.distribution.distribution_domain_name,
                description="Point the custom domain here (CNAME/alias) when no hostedZoneId is given",
            )
        CfnOutput(
            self,
            "ApiKeyId",
            value=api.api_key.key_id,
            description="aws apigateway get-api-key --api-key <id> --include-value",
        )
        CfnOutput(
            self,
            "UsagePlanId",
            value=api.usage_plan.usage_plan_id,
            description="`snip keys create` binds new API keys to this usage plan",
        )
        if api.domain:
            if not front_door:
                CfnOutput(self, "PublicBaseUrl", value=config.public_base_url or "")
            CfnOutput(
                self,
                "DomainTarget",
                value=api.domain.domain_name_alias_domain_name,
                description="Point the custom domain here (CNAME/alias) when no hostedZoneId is given",
            )
        for table_def, table in tables.items():
            CfnOutput(self, f"{table_def.logical_id}Table", value=table.table_name)
        CfnOutput(self, "KeygenFunction", value=keygen.function.function_name)
        CfnOutput(self, "EventsBucket", value=pipeline.bucket.bucket_name, description="Raw visit events")
        CfnOutput(self, "FailedVisitBatches", value=pipeline.failed_batches.queue_url)
        CfnOutput(self, "AlarmTopicArn", value=monitoring.topic.topic_arn)
