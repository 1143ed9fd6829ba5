"""Keygen runs every minute; shorten may also invoke it on demand (SnipFunction.allow_invoke).

The local stack's counterpart is ``snip_local.keygen_timer.KeygenTimer``.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as event_targets
from constructs import Construct

from infra.lambda_function import SnipFunction

REFILL_EVERY = Duration.minutes(1)


class KeygenRule(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, keygen: SnipFunction) -> None:
        super().__init__(scope, construct_id)
        self.rule = events.Rule(
            self,
            "Rule",
            description="Refill Snip's key pool",
            schedule=events.Schedule.rate(REFILL_EVERY),
            # A missed tick is made up by the next one a minute later: retrying a refill only
            # queues work behind keygen's single reserved execution (the spec's async limits).
            targets=[
                event_targets.LambdaFunction(
                    keygen.function,
                    retry_attempts=keygen.spec.max_retry_attempts,
                    max_event_age=(
                        Duration.seconds(keygen.spec.max_event_age_seconds)
                        if keygen.spec.max_event_age_seconds
                        else None
                    ),
                )
            ],
        )
