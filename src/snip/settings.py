"""Every setting Snip reads, in one place, read lazily from the environment.

The CDK stack and the local stack take the environment variable *names* from ``Env`` and the
API limits from ``API_LIMITS``, so code, infrastructure and the local stack cannot drift apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


class Env:
    """Names of the environment variables the functions read."""

    LINKS_TABLE = "SNIP_LINKS_TABLE"
    KEYS_TABLE = "SNIP_KEYS_TABLE"
    IDEMPOTENCY_TABLE = "SNIP_IDEMPOTENCY_TABLE"
    KEYGEN_FUNCTION = "SNIP_KEYGEN_FUNCTION"
    PUBLIC_BASE_URL = "SNIP_PUBLIC_BASE_URL"
    KEY_LENGTH = "SNIP_KEY_LENGTH"
    POOL_TARGET = "SNIP_POOL_TARGET"
    POOL_REFILL_RATIO = "SNIP_POOL_REFILL_RATIO"
    POOL_SHARDS = "SNIP_POOL_SHARDS"
    CANDIDATES = "SNIP_CANDIDATES"
    REFILL_REQUEST_INTERVAL = "SNIP_REFILL_REQUEST_INTERVAL"
    IDEMPOTENCY_TTL = "SNIP_IDEMPOTENCY_TTL"
    # Powertools' own switches, listed so that infra and the local stack set them by name.
    SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
    METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"
    TRACE_DISABLED = "POWERTOOLS_TRACE_DISABLED"
    LOG_LEVEL = "POWERTOOLS_LOG_LEVEL"


METRICS_NAMESPACE = "Snip"

# Default table names: the local stack and the tests use them; the CDK stack passes its own.
DEFAULT_TABLES = {
    Env.LINKS_TABLE: "snip-links",
    Env.KEYS_TABLE: "snip-keys",
    Env.IDEMPOTENCY_TABLE: "snip-idempotency",
}


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


@dataclass(frozen=True)
class Settings:
    links_table: str
    keys_table: str
    idempotency_table: str
    keygen_function: str | None
    public_base_url: str | None
    key_length: int
    pool_target: int
    pool_refill_ratio: float
    pool_shards: int
    candidates: int
    refill_request_interval: float
    idempotency_ttl: int

    @property
    def refill_threshold(self) -> int:
        return int(self.pool_target * self.pool_refill_ratio)


def _int(name: str, default: int, low: int, high: int) -> int:
    value = int(os.environ.get(name, default))
    if not low <= value <= high:
        raise ValueError(f"{name}={value} is outside {low}..{high}")
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the settings once per process (call ``get_settings.cache_clear()`` in tests)."""
    env = os.environ
    ratio = float(env.get(Env.POOL_REFILL_RATIO, "0.7"))
    if not 0 < ratio <= 1:
        raise ValueError(f"{Env.POOL_REFILL_RATIO}={ratio} is outside (0, 1]")
    base_url = env.get(Env.PUBLIC_BASE_URL) or None
    return Settings(
        links_table=env.get(Env.LINKS_TABLE, DEFAULT_TABLES[Env.LINKS_TABLE]),
        keys_table=env.get(Env.KEYS_TABLE, DEFAULT_TABLES[Env.KEYS_TABLE]),
        idempotency_table=env.get(Env.IDEMPOTENCY_TABLE, DEFAULT_TABLES[Env.IDEMPOTENCY_TABLE]),
        keygen_function=env.get(Env.KEYGEN_FUNCTION) or None,
        public_base_url=base_url.rstrip("/") if base_url else None,
        key_length=_int(Env.KEY_LENGTH, 7, 4, 20),
        pool_target=_int(Env.POOL_TARGET, 50, 1, 1_000_000),
        pool_refill_ratio=ratio,
        pool_shards=_int(Env.POOL_SHARDS, 2, 1, 1000),
        candidates=_int(Env.CANDIDATES, 10, 1, 100),
        refill_request_interval=float(env.get(Env.REFILL_REQUEST_INTERVAL, "5")),
        idempotency_ttl=_int(Env.IDEMPOTENCY_TTL, 86_400, 60, 7 * 86_400),
    )
