"""Alarms watch the right metrics with the right thresholds, and all of them reach the SNS topic."""

from __future__ import annotations

from typing import Any

import pytest

from infra.monitoring import API_5XX_RATE
from snip.execution.metric_names import NAMESPACE as METRICS_NAMESPACE
from snip_deploy.function_specs import FUNCTIONS, VISIT_STREAM
from snip_deploy.tables import ALL_TABLES, TableDef
from tests.infra.conftest import Assembly
from tests.infra.helpers import logical_id, resource, resources

ALARM = "AWS::CloudWatch::Alarm"


def alarm(template: dict[str, Any], name: str) -> dict[str, Any]:
    props: dict[str, Any] = resource(template, ALARM, f"Monitoring{name}")["Properties"]
    return props


def function_ref(template: dict[str, Any], name: str) -> dict[str, str]:
    return {"Ref": logical_id(template, "AWS::Lambda::Function", f"{name.title()}Function")}


def test_every_alarm_notifies_the_topic(template: dict[str, Any]) -> None:
    topic = {"Ref": logical_id(template, "AWS::SNS::Topic", "MonitoringAlarms")}
    alarms = resources(template, ALARM).values()
    assert alarms
    for found in alarms:
        assert found["Properties"]["AlarmActions"] == [topic]
        assert found["Properties"]["OKActions"] == [topic]


def test_api_5xx_rate(template: dict[str, Any]) -> None:
    props = alarm(template, "Api5xxRate")
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == (
        "AWS/ApiGateway",
        "5XXError",
        "Average",  # 5XXError is 0 or 1 per request: its average is the error rate
    )
    assert props["Threshold"] == API_5XX_RATE
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_lambda_errors_and_throttles_per_function(template: dict[str, Any], name: str) -> None:
    for metric, threshold in (("Errors", 1), ("Throttles", FUNCTIONS[name].throttles_tolerated)):
        props = alarm(template, f"{name.title()}{metric}")
        assert (props["Namespace"], props["MetricName"], props["Statistic"]) == ("AWS/Lambda", metric, "Sum")
        assert props["Dimensions"] == [{"Name": "FunctionName", "Value": function_ref(template, name)}]
        assert props["Threshold"] == threshold


@pytest.mark.parametrize("table_def", ALL_TABLES, ids=lambda t: t.logical_id)
def test_dynamodb_throttles_per_table(template: dict[str, Any], table_def: TableDef) -> None:
    props = alarm(template, f"{table_def.logical_id}TableThrottles")
    table = {"Ref": logical_id(template, "AWS::DynamoDB::Table", f"Tables{table_def.logical_id}")}
    stats = {
        m["MetricStat"]["Metric"]["MetricName"]: m["MetricStat"]
        for m in props["Metrics"]
        if "MetricStat" in m
    }
    assert set(stats) == {"ReadThrottleEvents", "WriteThrottleEvents"}
    for stat in stats.values():
        assert stat["Metric"]["Namespace"] == "AWS/DynamoDB"
        assert stat["Metric"]["Dimensions"] == [{"Name": "TableName", "Value": table}]
    (expression,) = [m for m in props["Metrics"] if "Expression" in m]
    assert expression["ReturnData"] is True
    assert props["Threshold"] == 1


def test_key_pool_below_refill_threshold(template: dict[str, Any], assembly: Assembly) -> None:
    props = alarm(template, "KeyPoolLow")
    assert (props["Namespace"], props["MetricName"]) == (METRICS_NAMESPACE, "PoolSize")
    assert props["Dimensions"] == [{"Name": "service", "Value": "keygen"}]
    settings = assembly.settings
    assert (
        props["Threshold"]
        == settings.refill_threshold
        == int(settings.pool_target * settings.pool_refill_ratio)
    )
    assert props["ComparisonOperator"] == "LessThanThreshold"
    # Silence from keygen (which reports every minute) means nobody refills the pool.
    assert props["TreatMissingData"] == "breaching"


def test_keygen_failing_repeatedly(template: dict[str, Any]) -> None:
    props = alarm(template, "KeygenFailing")
    assert (props["MetricName"], props["Period"]) == ("Errors", 60)
    assert props["Dimensions"] == [{"Name": "FunctionName", "Value": function_ref(template, "keygen")}]
    assert (props["DatapointsToAlarm"], props["EvaluationPeriods"]) == (3, 5)


def test_dashboard_shows_the_pool_and_the_alarms(template: dict[str, Any]) -> None:
    (dashboard,) = resources(template, "AWS::CloudWatch::Dashboard").values()
    body = str(dashboard["Properties"]["DashboardBody"])
    for figure in ("PoolSize", "5XXError", "Duration", "ConsumedReadCapacityUnits", "alarm"):
        assert figure in body


def test_alarm_email_only_when_asked(template: dict[str, Any], full_template: dict[str, Any]) -> None:
    assert resources(template, "AWS::SNS::Subscription") == {}
    (subscription,) = resources(full_template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == "ops@example.com"


def test_alarm_topic_encrypted_with_a_key_cloudwatch_may_use(template: dict[str, Any]) -> None:
    key_id = logical_id(template, "AWS::KMS::Key", "MonitoringAlarmsKey")
    topic = resource(template, "AWS::SNS::Topic", "MonitoringAlarms")
    # A customer-managed key: the AWS-managed alias/aws/sns would not let CloudWatch publish.
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    key = template["Resources"][key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    cloudwatch = [
        statement
        for statement in key["KeyPolicy"]["Statement"]
        if statement.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert [(s["Effect"], sorted(s["Action"]), s["Resource"]) for s in cloudwatch] == [
        ("Allow", ["kms:Decrypt", "kms:GenerateDataKey*"], "*")
    ]


def test_aggregator_behind_its_stream(template: dict[str, Any]) -> None:
    props = alarm(template, "VisitStreamBehind")
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == (
        "AWS/Lambda",
        "IteratorAge",
        "Maximum",
    )
    assert props["Dimensions"] == [{"Name": "FunctionName", "Value": function_ref(template, "aggregate")}]
    assert props["Threshold"] == VISIT_STREAM.iterator_age_alarm_seconds * 1000 == 60_000
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"], props["Period"]) == (5, 3, 60)
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_visit_records_given_up_on(template: dict[str, Any]) -> None:
    props = alarm(template, "VisitBatchesFailed")
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "Maximum",
    )
    queue = logical_id(template, "AWS::SQS::Queue", "VisitsFailedVisitBatches")
    assert props["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
    assert props["Threshold"] == 1
    assert props["TreatMissingData"] == "notBreaching"
