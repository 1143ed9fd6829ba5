"""Deployment choices: what CDK context may change, and the numbers the stack fixes.

Context (``cdk deploy -c key=value`` or ``cdk.json``) is read here only, and never triggers a
lookup: synth stays offline.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_logs as logs
from constructs import Node

from snip_deploy import powertools

# Both the functions' and the API's logs: long enough to investigate an incident, short enough
# that logs never become the largest line of the bill.
LOG_RETENTION = logs.RetentionDays.ONE_MONTH

STAGE_NAME = "prod"

# WAF (optional): requests per client IP in WAF's 5-minute window on the public redirect route.
# Redirects need no API key, so nothing else stops a single client from spending the stage's
# throttle budget (snip.settings.api_limits().stage) alone; 3000 per 5 min is 10 rps on average,
# far above a human clicking links, even many behind one NAT.
WAF_REDIRECT_LIMIT_PER_5_MIN = 3000


@dataclass(frozen=True)
class SnipConfig:
    domain_name: str | None = None
    certificate_arn: str | None = None
    hosted_zone_id: str | None = None
    alarm_email: str | None = None
    waf: bool = False
    powertools_layer_version: int = powertools.LAYER_VERSION

    def __post_init__(self) -> None:
        if self.domain_name and not self.certificate_arn:
            raise ValueError("context domainName needs certificateArn (an ACM certificate in the region)")
        if (self.certificate_arn or self.hosted_zone_id) and not self.domain_name:
            raise ValueError("context certificateArn/hostedZoneId need domainName")

    @property
    def public_base_url(self) -> str | None:
        return f"https://{self.domain_name}" if self.domain_name else None

    @classmethod
    def from_context(cls, node: Node) -> SnipConfig:
        def text(key: str) -> str | None:
            value = node.try_get_context(key)
            if value is None:
                return None
            return str(value).strip() or None

        waf = node.try_get_context("waf")
        layer = node.try_get_context("powertoolsLayerVersion")
        return cls(
            domain_name=text("domainName"),
            certificate_arn=text("certificateArn"),
            hosted_zone_id=text("hostedZoneId"),
            alarm_email=text("alarmEmail"),
            # -c waf=true arrives as a string, cdk.json may hold a boolean.
            waf=str(waf).lower() == "true" if waf is not None else False,
            powertools_layer_version=int(layer) if layer is not None else powertools.LAYER_VERSION,
        )
