"""API Gateway's throttles and quota: the CDK stack deploys these numbers, the local gateway enforces them.

One reader, ``read_api_limits``, takes them from a mapping of the ``ApiLimitsEnv`` names: the CDK app
builds that mapping from CDK context (``infra.context``), the local stack passes its environment
(``api_limits()``). Defaults and range checks live here only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
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


class ApiLimitsEnv:
    """The names the limits are read under (the local stack's environment variables)."""

    STAGE_RATE = "SNIP_THROTTLE_STAGE_RATE"
    STAGE_BURST = "SNIP_THROTTLE_STAGE_BURST"
    KEY_RATE = "SNIP_THROTTLE_KEY_RATE"
    KEY_BURST = "SNIP_THROTTLE_KEY_BURST"
    QUOTA_PER_DAY = "SNIP_QUOTA_PER_DAY"


DEFAULTS: dict[str, str] = {
    ApiLimitsEnv.STAGE_RATE: "1000",
    ApiLimitsEnv.STAGE_BURST: "2000",
    ApiLimitsEnv.KEY_RATE: "50",
    ApiLimitsEnv.KEY_BURST: "100",
    ApiLimitsEnv.QUOTA_PER_DAY: "100000",
}

# API Gateway's own payload limit; not a setting.
MAX_BODY_BYTES = 10 * 1024 * 1024


def _number(env: Mapping[str, str], name: str, kind: type[int] | type[float]) -> float:
    raw = str(env.get(name, DEFAULTS[name])).strip()
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not {'an integer' if kind is int else 'a number'}") from None
    if value <= 0:
        raise ValueError(f"{name}={raw} must be greater than 0")
    return value


def read_api_limits(env: Mapping[str, str]) -> ApiLimits:
    """The limits from ``env`` (``ApiLimitsEnv`` names) or the defaults; bad values raise ValueError."""
    return ApiLimits(
        stage=Throttle(
            rate=_number(env, ApiLimitsEnv.STAGE_RATE, float),
            burst=int(_number(env, ApiLimitsEnv.STAGE_BURST, int)),
        ),
        usage_plan=Throttle(
            rate=_number(env, ApiLimitsEnv.KEY_RATE, float),
            burst=int(_number(env, ApiLimitsEnv.KEY_BURST, int)),
        ),
        daily_quota=int(_number(env, ApiLimitsEnv.QUOTA_PER_DAY, int)),
        max_body_bytes=MAX_BODY_BYTES,
    )


def api_limits() -> ApiLimits:
    """The local stack's limits: ``SNIP_THROTTLE_*`` / ``SNIP_QUOTA_PER_DAY`` from its environment."""
    return read_api_limits(os.environ)
