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
from snip_deploy.front_door import DEFAULT_CAPACITY

# Both the functions' and the API's logs: long enough to investigate an incident, short enough
# that logs never become the largest line of the bill.
LOG_RETENTION = logs.RetentionDays.ONE_MONTH

STAGE_NAME = "prod"

# WAF (optional): requests per client IP in WAF's 5-minute window on the public redirect route.
# Redirects need no API key, so nothing else stops a single client from spending the stage's
# throttle budget (the API limits' stage throttle) alone; 3000 per 5 min is 10 rps on average,
# far above a human clicking links, even many behind one NAT.
WAF_REDIRECT_LIMIT_PER_5_MIN = 3000

# WAF on the front door (CloudFront scope): requests per client IP in WAF's 5-minute window on the
# API's paths (every method): the usage plan meters each API key, but the console and the public
# /health and /openapi.json have no key. 3000 per 5 min is 10 rps, the usage plan's per-key rate
# divided by 5: a person at the console never comes near it.
WAF_API_LIMIT_PER_5_MIN = 3000
# What a client over a WAF rate limit is told to wait: the rate-based rule's window is 5 minutes
# and an IP stays blocked until its rate falls back below the limit.
WAF_RETRY_AFTER_SECONDS = 300

# resolve's reserved concurrency: at most this many may be reserved in an account whose
# concurrent-executions quota is the default 1,000 (Lambda keeps 100 unreserved for the rest).
UNRESERVED_FLOOR = 100
DEFAULT_CONCURRENCY_QUOTA = 1_000

# Where the custom domain's Route 53 records point (context dnsTarget): the distribution, or the
# REST API's own custom domain while a running stack moves (docs/deploy.md, "Moving a running stack").
DNS_TARGETS = ("distribution", "api")

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
    # The front door (infra/distribution.py): one CloudFront distribution is the public host.
    front_door: bool = True
    # With the front door: the REST API keeps GET/HEAD /{key} too (a running stack's old links).
    api_redirects: bool = False
    # With the front door: the REST API keeps its regional custom domain (this certificate, in
    # the stack's region) while DNS moves to the distribution.
    api_certificate_arn: str | None = None
    dns_target: str = "distribution"
    resolve_reserved_concurrency: int = DEFAULT_CAPACITY.resolve_reserved_concurrency
    # The account's Lambda concurrent-executions quota (L-B99A9384), as raised: it bounds what
    # resolve may reserve.
    lambda_concurrency_quota: int = DEFAULT_CONCURRENCY_QUOTA
    visits_warm_writes: int | None = DEFAULT_CAPACITY.visits_warm_writes_per_second
    # With the front door: a Lambda@Edge function turns Lambda's bare 429 on a redirect (resolve
    # over its reserved concurrency) into the contract's page; priced per redirect (docs/deploy.md).
    edge_throttle_page: bool = False
    # The stack's region, when the deployer names it: needed for a web ACL on the front door of a
    # stack outside us-east-1 (the web ACL then lives in a stack of its own there).
    region: str | None = None

    def __post_init__(self) -> None:
        low, high = EVENT_RETENTION_RANGE
        if not low <= self.event_retention_days <= high:
            raise ValueError(
                f"context eventRetentionDays={self.event_retention_days} is outside {low}..{high}"
            )
        if self.domain_name and not self.certificate_arn:
            raise ValueError("context domainName needs certificateArn (an ACM certificate)")
        if (self.certificate_arn or self.hosted_zone_id) and not self.domain_name:
            raise ValueError("context certificateArn/hostedZoneId need domainName")
        if self.front_door:
            self._check_front_door()
        elif (
            self.api_redirects
            or self.api_certificate_arn
            or self.dns_target != "distribution"
            or self.edge_throttle_page
        ):
            raise ValueError(
                "context apiRedirects/apiCertificateArn/dnsTarget/edgeThrottlePage belong to the front "
                "door (frontDoor=true)"
            )
        highest = self.lambda_concurrency_quota - UNRESERVED_FLOOR
        if not 1 <= self.resolve_reserved_concurrency <= highest:
            raise ValueError(
                f"context resolveReservedConcurrency={self.resolve_reserved_concurrency} is outside "
                f"1..{highest} (an account may reserve its lambdaConcurrencyQuota "
                f"{self.lambda_concurrency_quota} less {UNRESERVED_FLOOR}; raise the quota "
                "L-B99A9384 first, then set lambdaConcurrencyQuota: docs/deploy.md)"
            )
        if self.visits_warm_writes is not None and not 4_000 <= self.visits_warm_writes <= 40_000:
            # An on-demand table starts warm at 4,000 writes/s; 40,000 is a table's default
            # on-demand maximum (a quota, raised on request).
            raise ValueError(f"context visitsWarmWrites={self.visits_warm_writes} is outside 4000..40000")

    def _check_front_door(self) -> None:
        if self.certificate_arn and certificate_region(self.certificate_arn) != "us-east-1":
            raise ValueError(
                f"context certificateArn {self.certificate_arn} is in "
                f"{certificate_region(self.certificate_arn)}: the front door is a CloudFront "
                "distribution, whose certificate must be an ACM certificate in us-east-1 (request one "
                "there for domainName; the API's regional certificate goes to apiCertificateArn "
                "while a running stack moves: docs/deploy.md)"
            )
        if self.api_certificate_arn and not self.api_redirects:
            raise ValueError(
                "context apiCertificateArn keeps the custom domain on the REST API, which must then "
                "answer redirects: add apiRedirects=true"
            )
        if self.api_certificate_arn and not self.domain_name:
            raise ValueError("context apiCertificateArn needs domainName")
        if self.dns_target not in DNS_TARGETS:
            raise ValueError(f"context dnsTarget={self.dns_target!r} is not one of {', '.join(DNS_TARGETS)}")
        if self.dns_target == "api" and not self.api_certificate_arn:
            raise ValueError(
                "context dnsTarget=api needs apiCertificateArn (the REST API's own custom domain)"
            )

    @property
    def public_base_url(self) -> str | None:
        """The custom domain's base URL; without one the front door's own name is only known at
        deploy time (infra/distribution.py gives it to shorten as a reference)."""
        return f"https://{self.domain_name}" if self.domain_name else None

    @property
    def api_domain(self) -> bool:
        """The REST API has a custom domain of its own: today's shape, or a moving stack's."""
        return bool(self.domain_name) and (not self.front_door or bool(self.api_certificate_arn))

    @property
    def api_serves_redirects(self) -> bool:
        return not self.front_door or self.api_redirects

    @classmethod
    def from_context(cls, node: Node) -> SnipConfig:
        def text(key: str) -> str | None:
            value = node.try_get_context(key)
            if value is None:
                return None
            return str(value).strip() or None

        def flag(key: str, default: bool) -> bool:
            # -c waf=true arrives as a string, cdk.json may hold a boolean.
            value = node.try_get_context(key)
            if value is None:
                return default
            if str(value).lower() not in ("true", "false"):
                raise ValueError(f"context {key}={value!r} is neither true nor false")
            return str(value).lower() == "true"

        def number(key: str) -> int | None:
            value = text(key)
            if value is None:
                return None
            try:
                return int(value)
            except ValueError:
                raise ValueError(f"context {key}={value!r} is not an integer") from None

        layer = node.try_get_context("powertoolsLayerVersion")
        retention = node.try_get_context("eventRetentionDays")
        settings, limits = read_context_settings({key: node.try_get_context(key) for key in CONTEXT_KEYS})
        reserved = number("resolveReservedConcurrency")
        quota = number("lambdaConcurrencyQuota")
        warm_writes = number("visitsWarmWrites")
        return cls(
            domain_name=text("domainName"),
            certificate_arn=text("certificateArn"),
            hosted_zone_id=text("hostedZoneId"),
            alarm_email=text("alarmEmail"),
            waf=flag("waf", False),
            powertools_layer_version=int(layer) if layer is not None else powertools.LAYER_VERSION,
            settings=settings,
            limits=limits,
            event_retention_days=int(retention) if retention is not None else EVENT_RETENTION_DAYS,
            front_door=flag("frontDoor", True),
            api_redirects=flag("apiRedirects", False),
            api_certificate_arn=text("apiCertificateArn"),
            dns_target=text("dnsTarget") or "distribution",
            resolve_reserved_concurrency=(
                DEFAULT_CAPACITY.resolve_reserved_concurrency if reserved is None else reserved
            ),
            lambda_concurrency_quota=DEFAULT_CONCURRENCY_QUOTA if quota is None else quota,
            visits_warm_writes=DEFAULT_CAPACITY.visits_warm_writes_per_second
            if warm_writes is None
            else warm_writes,
            edge_throttle_page=flag("edgeThrottlePage", False),
            region=text("region"),
        )


def certificate_region(arn: str) -> str:
    """``arn:aws:acm:<region>:<account>:certificate/<id>`` → its region ("" if not an ACM ARN)."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[2] == "acm" else ""
