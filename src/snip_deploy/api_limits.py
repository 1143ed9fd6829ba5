"""API Gateway's throttles and quota: the CDK stack deploys these numbers, the local gateway enforces them.

Each limit is declared once, as a field of ``ApiLimits`` written with ``snip.settings.setting``: its
CDK context key (how a deployment sets it, read by ``infra.context``), its variable (how the local
stack sets it, ``SNIP_THROTTLE_*``), its default and range. They are declared here, not in
``snip.settings``, because no function reads them: ``snip_deploy`` never ships in a Lambda asset,
and what only the CDK app and the local stack read stays out of the functions' code. Nothing here
reads the environment: the local stack hands its own (``snip_local.local_config.api_limits``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from snip.settings import Integer, Number, read_declared, setting

# API Gateway's own payload limit; not a setting.
MAX_BODY_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Throttle:
    rate: float  # steady-state requests per second
    burst: int  # token-bucket size


@dataclass(frozen=True)
class ApiLimits:
    """API Gateway throttling: the CDK stack deploys these numbers, the local gateway enforces them."""

    # The stage's default method throttle: every client of the stage (a token bucket per method).
    stage_rate: float = setting(
        "SNIP_THROTTLE_STAGE_RATE", "1000", Number(above=0), context="throttleStageRate"
    )
    stage_burst: int = setting("SNIP_THROTTLE_STAGE_BURST", "2000", Integer(1), context="throttleStageBurst")
    # The usage plan's throttle, per API key.
    key_rate: float = setting("SNIP_THROTTLE_KEY_RATE", "50", Number(above=0), context="throttleKeyRate")
    key_burst: int = setting("SNIP_THROTTLE_KEY_BURST", "100", Integer(1), context="throttleKeyBurst")
    # The usage plan's quota: requests per API key per day.
    daily_quota: int = setting("SNIP_QUOTA_PER_DAY", "100000", Integer(1), context="quotaPerDay")
    # API Gateway's payload limit is 10 MB; Snip's own limit is on POST/PATCH bodies.
    max_body_bytes: ClassVar[int] = MAX_BODY_BYTES

    @property
    def stage(self) -> Throttle:
        return Throttle(self.stage_rate, self.stage_burst)

    @property
    def usage_plan(self) -> Throttle:
        return Throttle(self.key_rate, self.key_burst)


def read_api_limits(env: Mapping[str, str]) -> ApiLimits:
    """The limits from ``env`` (their variables) or the defaults; bad values raise ValueError."""
    return read_declared(ApiLimits, env)
