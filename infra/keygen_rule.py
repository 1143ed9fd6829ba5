"""Keygen runs every minute; shorten may also invoke it on demand (SnipFunction.allow_invoke)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as event_targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

REFILL_EVERY = Duration.minutes(1)


class KeygenRule(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, keygen: lambda_.IFunction) -> None:
        super().__init__(scope, construct_id)
        self.rule = events.Rule(
            self,
            "Rule",
            description="Refill Snip's key pool",
            schedule=events.Schedule.rate(REFILL_EVERY),
            # A missed tick is made up by the next one a minute later: retrying a refill only
            # queues work behind keygen's single reserved execution.
            targets=[
                event_targets.LambdaFunction(keygen, retry_attempts=0, max_event_age=Duration.minutes(1))
            ],
        )
