"""Deployment choices: what CDK context may change, and the numbers the stack fixes.

Context (``cdk deploy -c key=value`` or ``cdk.json``) is read here only, and never triggers a
lookup: synth stays offline. Synth never reads the deployer's shell: the runtime settings a
deployment may set (``SETTING_KEYS``) and the API limits (``LIMIT_KEYS``) are context keys, read
and range-checked by the same functions the runtime and the local stack use
(``snip.settings.read_settings``, ``snip_deploy.api_limits.read_api_limits``) from a mapping of
their environment names built here. docs/deploy.md lists the keys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from aws_cdk import aws_logs as logs
from constructs import Node

from snip.settings import Env, Settings, read_settings
from snip_deploy import powertools
from snip_deploy.api_limits import ApiLimits, ApiLimitsEnv, read_api_limits

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

# Context key -> the runtime setting (``Env`` name) it sets in the functions that read it.
SETTING_KEYS = {
    "keyLength": Env.KEY_LENGTH,
    "poolTarget": Env.POOL_TARGET,
    "poolRefillRatio": Env.POOL_REFILL_RATIO,
    "poolShards": Env.POOL_SHARDS,
    "candidates": Env.CANDIDATES,
    "refillRequestInterval": Env.REFILL_REQUEST_INTERVAL,
    "idempotencyTtlSeconds": Env.IDEMPOTENCY_TTL,
}
# Context key -> the API limit it sets (API Gateway stage throttle, usage plan).
LIMIT_KEYS = {
    "throttleStageRate": ApiLimitsEnv.STAGE_RATE,
    "throttleStageBurst": ApiLimitsEnv.STAGE_BURST,
    "throttleKeyRate": ApiLimitsEnv.KEY_RATE,
    "throttleKeyBurst": ApiLimitsEnv.KEY_BURST,
    "quotaPerDay": ApiLimitsEnv.QUOTA_PER_DAY,
}


def _read(
    reader: Callable[[Mapping[str, str]], T], keys: Mapping[str, str], values: Mapping[str, object]
) -> T:
    """``reader`` on the context ``values`` renamed to their env names; an error names the context key."""
    given = {key: str(values[key]).strip() for key in keys if values.get(key) is not None}
    for key, value in given.items():  # one at a time, so that the message says which key is wrong
        try:
            reader({keys[key]: value})
        except ValueError as error:
            reason = str(error).replace(keys[key], key)
            raise ValueError(
                f"bad CDK context {key}={value!r}: {reason} (docs/deploy.md lists the keys and ranges)"
            ) from None
    return reader({keys[key]: value for key, value in given.items()})


def read_context_settings(values: Mapping[str, object]) -> tuple[Settings, ApiLimits]:
    """Runtime settings and API limits from context ``values`` (unset keys keep their defaults)."""
    return _read(read_settings, SETTING_KEYS, values), _read(read_api_limits, LIMIT_KEYS, values)


def settings_environment(settings: Settings, names: tuple[str, ...]) -> dict[str, str]:
    """The ``names`` among the runtime settings as a function's environment variables."""
    values = {
        Env.KEY_LENGTH: str(settings.key_length),
        Env.POOL_TARGET: str(settings.pool_target),
        Env.POOL_REFILL_RATIO: str(settings.pool_refill_ratio),
        Env.POOL_SHARDS: str(settings.pool_shards),
        Env.CANDIDATES: str(settings.candidates),
        Env.REFILL_REQUEST_INTERVAL: str(settings.refill_request_interval),
        Env.IDEMPOTENCY_TTL: str(settings.idempotency_ttl),
    }
    return {name: values[name] for name in names}


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
        settings, limits = read_context_settings(
            {key: node.try_get_context(key) for key in (*SETTING_KEYS, *LIMIT_KEYS)}
        )
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
