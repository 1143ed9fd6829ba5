"""Deployment choices: what CDK context may change, and the numbers the stack fixes.

Context (``cdk deploy -c key=value`` or ``cdk.json``) is read here only, and never triggers a
lookup: synth stays offline. Synth never reads the deployer's shell: the runtime settings a
deployment may set and the API limits are context keys, found in their declarations
(``snip.settings.Settings``, ``snip_deploy.api_limits.ApiLimits``: each field's ``Setting`` names
its context key, default, parser and functions), checked by the same parsers the runtime and the
local stack use. docs/deploy.md lists the keys (a test checks the table against the declarations).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aws_cdk import aws_logs as logs
from constructs import Node

from snip.settings import Settings, declarations, read_settings
from snip_deploy import powertools
from snip_deploy.api_limits import ApiLimits, read_api_limits

# Both the functions' and the API's logs: long enough to investigate an incident, short enough
# that logs never become the largest line of the bill.
LOG_RETENTION = logs.RetentionDays.ONE_MONTH

STAGE_NAME = "prod"

# WAF (optional): requests per client IP in WAF's 5-minute window on the public redirect route.
# Redirects need no API key, so nothing else stops a single client from spending the stage's
# throttle budget (the API limits' stage throttle) alone; 3000 per 5 min is 10 rps on average,
# far above a human clicking links, even many behind one NAT.
WAF_REDIRECT_LIMIT_PER_5_MIN = 3000

# Raw visit events in S3 (infra/visit_pipeline.py): kept this many days, then expired by a
# lifecycle rule. Context ``eventRetentionDays`` (1 .. 3650) changes it.
EVENT_RETENTION_DAYS = 400
EVENT_RETENTION_RANGE = (1, 3650)

T = TypeVar("T")

# Everything a deployment may set with a context key, as declared.
SETTINGS_FROM_CONTEXT = tuple(d for d in declarations(Settings) if d.context)
LIMITS_FROM_CONTEXT = tuple(d for d in declarations(ApiLimits) if d.context)
CONTEXT_KEYS = tuple(d.context for d in (*SETTINGS_FROM_CONTEXT, *LIMITS_FROM_CONTEXT) if d.context)


def _from_context(cls: type[T], values: Mapping[str, object]) -> T:
    """``cls`` with each declared context key of ``values`` (unset keys keep their defaults).

    Each given value is parsed as its declaration parses its variable; an error names the
    context key, never the variable (the deployer wrote the key).
    """
    given: dict[str, Any] = {}
    for declared in declarations(cls):
        raw = values.get(declared.context) if declared.context else None
        if raw is None:
            continue
        label = f"bad CDK context {declared.context}"
        try:
            given[declared.name] = declared.value(str(raw).strip(), label=label)
        except ValueError as error:
            raise ValueError(f"{error} (docs/deploy.md lists the keys and ranges)") from None
    return cls(**given)  # the fields not given: their declared defaults


def read_context_settings(values: Mapping[str, object]) -> tuple[Settings, ApiLimits]:
    """Runtime settings and API limits from context ``values`` (unset keys keep their defaults)."""
    return _from_context(Settings, values), _from_context(ApiLimits, values)


def settings_environment(settings: Settings, function: str) -> dict[str, str]:
    """The context-set settings declared for ``function`` (``FunctionSpec.name``), as its environment."""
    return {
        declared.env: str(getattr(settings, declared.name))
        for declared in SETTINGS_FROM_CONTEXT
        if function in declared.functions
    }


def _default_settings() -> Settings:
    return read_settings({})


def _default_limits() -> ApiLimits:
    return read_api_limits({})


@dataclass(frozen=True)
class SnipConfig:
    domain_name: str | None = None
    certificate_arn: str | None = None
    hosted_zone_id: str | None = None
    alarm_email: str | None = None
    waf: bool = False
    powertools_layer_version: int = powertools.LAYER_VERSION
    settings: Settings = field(default_factory=_default_settings)  # what the functions are told
    limits: ApiLimits = field(default_factory=_default_limits)
    event_retention_days: int = EVENT_RETENTION_DAYS

    def __post_init__(self) -> None:
        low, high = EVENT_RETENTION_RANGE
        if not low <= self.event_retention_days <= high:
            raise ValueError(
                f"context eventRetentionDays={self.event_retention_days} is outside {low}..{high}"
            )
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
        retention = node.try_get_context("eventRetentionDays")
        settings, limits = read_context_settings({key: node.try_get_context(key) for key in CONTEXT_KEYS})
        return cls(
            domain_name=text("domainName"),
            certificate_arn=text("certificateArn"),
            hosted_zone_id=text("hostedZoneId"),
            alarm_email=text("alarmEmail"),
            # -c waf=true arrives as a string, cdk.json may hold a boolean.
            waf=str(waf).lower() == "true" if waf is not None else False,
            powertools_layer_version=int(layer) if layer is not None else powertools.LAYER_VERSION,
            settings=settings,
            limits=limits,
            event_retention_days=int(retention) if retention is not None else EVENT_RETENTION_DAYS,
        )
