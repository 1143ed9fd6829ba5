"""Alarms on what breaks a shortener, one SNS topic for them, and one dashboard."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.kms_keys import alarm_topic_key
from infra.lambda_function import SnipFunction
from snip.execution.metric_names import NAMESPACE as METRICS_NAMESPACE
from snip.execution.metric_names import POOL_SIZE
from snip_deploy.function_specs import KEYGEN, VISIT_STREAM

FIVE_MINUTES = Duration.minutes(5)

# The keygen function reports the pool after each run as EMF: namespace Snip, service=keygen
# (Powertools' service dimension is the function's POWERTOOLS_SERVICE_NAME, its spec's name).
POOL_DIMENSIONS = {"service": KEYGEN.name}

# 1% of API requests answered 5xx (API Gateway's 5XXError averages to that rate).
API_5XX_RATE = 0.01


def pool_size_metric() -> cw.Metric:
    return cw.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=POOL_SIZE,
        dimensions_map=POOL_DIMENSIONS,
        statistic="Maximum",
        period=FIVE_MINUTES,
    )


def table_throttles(table: dynamodb.Table) -> cw.MathExpression:
    """Read plus write throttle events: every operation on the table, transactions included."""
    return cw.MathExpression(
        expression="reads + writes",
        using_metrics={
            "reads": table.metric("ReadThrottleEvents", statistic="Sum", period=FIVE_MINUTES),
            "writes": table.metric("WriteThrottleEvents", statistic="Sum", period=FIVE_MINUTES),
        },
        label="Throttle events",
        period=FIVE_MINUTES,
    )


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api: apigw.RestApi,
        functions: Sequence[SnipFunction],
        tables: Sequence[tuple[str, dynamodb.Table]],
        pool_threshold: int,
        alarm_email: str | None,
        aggregator: SnipFunction,
        failed_visit_batches: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic_key = alarm_topic_key(self, "AlarmsKey")
        self.topic = sns.Topic(
            self, "Alarms", display_name="Snip alarms", enforce_ssl=True, master_key=self.topic_key
        )
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self.alarms: list[cw.Alarm] = []

        self._alarm(
            "Api5xxRate",
            api.metric_server_error(statistic="Average", period=FIVE_MINUTES),
            threshold=API_5XX_RATE,
            description="More than 1% of API requests answered 5xx",
        )
        for fn in functions:
            name = fn.spec.name
            self._alarm(
                f"{name.title()}Errors",
                fn.function.metric_errors(statistic="Sum", period=FIVE_MINUTES),
                threshold=1,
                # Handlers answer dependency faults with 503 themselves: an error is a bug.
                description=f"The {name} function raised an unhandled error",
            )
            self._alarm(
                f"{name.title()}Throttles",
                fn.function.metric_throttles(statistic="Sum", period=FIVE_MINUTES),
                threshold=fn.spec.throttles_tolerated,
                description=f"The {name} function was throttled",
            )
        for name, table in tables:
            self._alarm(
                f"{name}TableThrottles",
                table_throttles(table),
                threshold=1,
                description=f"DynamoDB throttled requests on the {name} table",
            )
        keygen = next(fn for fn in functions if fn.spec == KEYGEN)
        # The pool may dip below the threshold between two runs: that is what triggers a refill.
        # Alarm only when even the fullest reading stays below it for 15 minutes. Missing data
        # counts as breaching: keygen runs every minute, so no PoolSize means keygen is not
        # running, or failing before it reports, and nothing is refilling the pool.
        self.pool_low = self._alarm(
            "KeyPoolLow",
            pool_size_metric(),
            threshold=pool_threshold,
            comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=3,
            missing=cw.TreatMissingData.BREACHING,
            description=f"Key pool below its refill threshold ({pool_threshold}) for 15 minutes",
        )
        self._alarm(
            "KeygenFailing",
            keygen.function.metric_errors(statistic="Sum", period=Duration.minutes(1)),
            threshold=1,
            evaluation_periods=5,
            datapoints_to_alarm=3,
            description="Keygen failed in 3 of its last 5 runs: the pool is not being refilled",
        )

        self._visit_stream_alarms(aggregator, failed_visit_batches)
        self.dashboard = self._dashboard(api, functions, tables)

    def _visit_stream_alarms(self, aggregator: SnipFunction, failed: sqs.IQueue) -> None:
        """The visit pipeline: the aggregator behind its stream, or records given up on."""
        behind = VISIT_STREAM.iterator_age_alarm_seconds
        self._alarm(
            "VisitStreamBehind",
            aggregator.function.metric("IteratorAge", statistic="Maximum", period=Duration.minutes(1)),
            threshold=behind * 1000,  # IteratorAge is in milliseconds
            evaluation_periods=5,
            datapoints_to_alarm=3,
            description=(
                f"The aggregator is more than {behind} s behind the visits stream in 3 of 5 minutes: "
                "stats lag, and a record the stream has kept 24 h unprocessed goes to the "
                "failed-batch queue"
            ),
        )
        self._alarm(
            "VisitBatchesFailed",
            failed.metric_approximate_number_of_messages_visible(statistic="Maximum", period=FIVE_MINUTES),
            threshold=1,
            description=(
                "Visit records were given up on (docs/deploy.md: the failed-batch queue): their "
                "visits are not counted until replayed"
            ),
        )

    def _alarm(
        self,
        construct_id: str,
        metric: cw.IMetric,
        *,
        threshold: float,
        description: str,
        comparison: cw.ComparisonOperator = cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluation_periods: int = 1,
        datapoints_to_alarm: int | None = None,
        missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING,
    ) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm,
            treat_missing_data=missing,
            alarm_description=description,
        )
        action = cw_actions.SnsAction(self.topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        self.alarms.append(alarm)
        return alarm

    def _dashboard(
        self,
        api: apigw.RestApi,
        functions: Sequence[SnipFunction],
        tables: Sequence[tuple[str, dynamodb.Table]],
    ) -> cw.Dashboard:
        dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=Stack.of(self).stack_name)
        dashboard.add_widgets(
            cw.GraphWidget(
                title="API requests and errors",
                left=[api.metric_count(), api.metric_client_error(), api.metric_server_error()],
                width=12,
            ),
            cw.GraphWidget(
                title="API latency (p50, p99)",
                left=[api.metric_latency(statistic="p50"), api.metric_latency(statistic="p99")],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Lambda duration p99",
                left=[fn.function.metric_duration(statistic="p99", label=fn.spec.name) for fn in functions],
                width=8,
            ),
            cw.GraphWidget(
                title="Lambda errors and throttles",
                left=[fn.function.metric_errors(label=f"{fn.spec.name} errors") for fn in functions],
                right=[fn.function.metric_throttles(label=f"{fn.spec.name} throttles") for fn in functions],
                width=8,
            ),
            cw.GraphWidget(title="Key pool", left=[pool_size_metric()], width=8),
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="DynamoDB consumed capacity",
                left=[
                    table.metric_consumed_read_capacity_units(label=f"{name} RCU") for name, table in tables
                ],
                right=[
                    table.metric_consumed_write_capacity_units(label=f"{name} WCU") for name, table in tables
                ],
                width=12,
            ),
            cw.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=12),
        )
        return dashboard
