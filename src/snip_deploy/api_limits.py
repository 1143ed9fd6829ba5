"""API Gateway's throttles and quota: the CDK stack deploys these numbers, the local gateway enforces them."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Throttle:
    rate: float  # steady-state requests per second
    burst: int  # token-bucket size


@dataclass(frozen=True)
class ApiLimits:
    """API Gateway throttling: the CDK stack deploys these numbers, the local gateway enforces them."""

    stage: Throttle  # applies to every client of the stage (API Gateway's account-level-style limit)
    usage_plan: Throttle  # per API key
    daily_quota: int  # per API key, requests per day
    max_body_bytes: int  # API Gateway's payload limit is 10 MB; Snip's own limit is on POST/PATCH bodies


def api_limits() -> ApiLimits:
    """The limits, with optional overrides for experiments (``SNIP_THROTTLE_*``)."""
    env = os.environ
    return ApiLimits(
        stage=Throttle(
            rate=float(env.get("SNIP_THROTTLE_STAGE_RATE", "1000")),
            burst=int(env.get("SNIP_THROTTLE_STAGE_BURST", "2000")),
        ),
        usage_plan=Throttle(
            rate=float(env.get("SNIP_THROTTLE_KEY_RATE", "50")),
            burst=int(env.get("SNIP_THROTTLE_KEY_BURST", "100")),
        ),
        daily_quota=int(env.get("SNIP_QUOTA_PER_DAY", "100000")),
        max_body_bytes=10 * 1024 * 1024,
    )
