"""Snip's customer-managed KMS keys, and who besides the account may use them.

Two keys, one per service that must encrypt with them: the alarm topic's (CloudWatch alarms
publish to it) and the logs' (CloudWatch Logs encrypts the functions' and the API's log groups).
Each key's policy keeps CDK's default statement (the account administers the key through IAM)
and adds one statement for that service. Neither key protects data kept beyond the stack's
log retention, so both go with the stack.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct


def _key(scope: Construct, construct_id: str, description: str) -> kms.Key:
    return kms.Key(
        scope,
        construct_id,
        description=description,
        enable_key_rotation=True,
        removal_policy=RemovalPolicy.DESTROY,
        pending_window=Duration.days(7),
    )


def alarm_topic_key(scope: Construct, construct_id: str) -> kms.Key:
    """A customer-managed key for the alarm topic, which CloudWatch alarms may publish with.

    The AWS-managed aws/sns key cannot be used: its policy is fixed and does not let CloudWatch
    encrypt, so every alarm action would fail ("Enable compatibility between event sources from
    AWS services and encrypted topics",
    https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services,
    whose key policy statement for cloudwatch.amazonaws.com this is, without conditions: an
    unsupported source condition would drop every alarm silently). The key protects no stored
    data (SNS keeps no messages), so it goes with the stack.
    """
    key = _key(scope, construct_id, "Snip alarm topic (SNS) encryption")
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="CloudWatchAlarmsPublish",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],  # in a key policy, "*" is this key
        )
    )
    return key


def logs_key(scope: Construct, construct_id: str) -> kms.Key:
    """A customer-managed key for the stack's log groups.

    The access logs hold client IP addresses and the functions' logs request details: with this
    key, reading them also takes kms:Decrypt, every use is in CloudTrail, and disabling the key
    makes them unreadable. CloudWatch Logs may use it for this account's log groups in this
    region only ("Encrypt log data in CloudWatch Logs using AWS KMS",
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
    """
    stack = Stack.of(scope)
    key = _key(scope, construct_id, "Snip log groups (CloudWatch Logs) encryption")
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="CloudWatchLogsEncrypt",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=[
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            resources=["*"],  # in a key policy, "*" is this key
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": (
                        f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:log-group:*"
                    )
                }
            },
        )
    )
    return key
