"""cdk-nag (AwsSolutions) wiring and the one way Snip acknowledges a finding."""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

# A reviewer should be able to judge an acknowledgment from its reason alone.
MIN_REASON_LENGTH = 40


def enable_checks(app: App) -> None:
    """Run the AwsSolutions pack on every synth; any unacknowledged finding fails synthesis.

    Acknowledgments are also written into the template's resource Metadata (``cdk_nag``), so a
    reviewer (and tests/infra) can audit every one of them from the template alone.
    """
    Validations.of(app).add_plugins(
        AwsSolutionsChecks(app, verbose=True, write_suppressions_to_cloud_formation=True)
    )


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge one AwsSolutions finding (``AwsSolutions-IAM5[Resource::*]`` style) on a construct."""
    if not rule.startswith("AwsSolutions-"):
        raise ValueError(f"acknowledge a named AwsSolutions rule, not {rule!r}")
    if len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"the reason for {rule} is too short to review: {reason!r}")
    Validations.of(construct).acknowledge(Acknowledgment(id=rule, reason=reason))
