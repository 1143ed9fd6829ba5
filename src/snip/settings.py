"""Every setting Snip reads, in one place, read lazily from the environment.

The CDK stack and the local stack take the environment variable *names* from ``Env`` and the
defaults the functions read, so code, infrastructure and the local stack cannot drift apart.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache


class Env:
    """Names of the environment variables the functions read."""

    LINKS_TABLE = "SNIP_LINKS_TABLE"
    KEYS_TABLE = "SNIP_KEYS_TABLE"
    IDEMPOTENCY_TABLE = "SNIP_IDEMPOTENCY_TABLE"
    VISITS_TABLE = (
        "SNIP_VISITS_TABLE"  # visit events (snip.domain.visit_events), read by the aggregator's stream
    )
    API_KEYS_TABLE = "SNIP_API_KEYS_TABLE"  # the API-key registry: owner and scopes per key id
    ROLLUPS_TABLE = "SNIP_ROLLUPS_TABLE"  # per-link hour and day buckets (snip.domain.rollups), read by stats
    EVENTS_BUCKET = (
        "SNIP_EVENTS_BUCKET"  # deployed: the S3 bucket of raw visit events (snip.data.visit_archive)
    )
    EVENTS_DIR = "SNIP_EVENTS_DIR"  # local: the folder of raw visit events (JSON Lines), instead of S3
    STATS_LAG = "SNIP_STATS_LAG"  # seconds a visit may take to reach stats (as_of = now - this)
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
    # Never record a handler's response in X-Ray: the links API answers target URLs, tokens included.
    TRACER_CAPTURE_RESPONSE = "POWERTOOLS_TRACER_CAPTURE_RESPONSE"
    # Set by Lambda itself in every function (and reserved: a function may not set it).
    REGION = "AWS_REGION"


# Default table names: the local stack and the tests use them; the CDK stack passes its own.
DEFAULT_TABLES = {
    Env.LINKS_TABLE: "snip-links",
    Env.KEYS_TABLE: "snip-keys",
    Env.IDEMPOTENCY_TABLE: "snip-idempotency",
    Env.API_KEYS_TABLE: "snip-api-keys",
    Env.VISITS_TABLE: "snip-visits",
    Env.ROLLUPS_TABLE: "snip-rollups",
}


@dataclass(frozen=True)
class Settings:
    links_table: str
    keys_table: str
    idempotency_table: str
    api_keys_table: str
    keygen_function: str | None
    public_base_url: str | None
    key_length: int
    pool_target: int
    pool_refill_ratio: float
    pool_shards: int
    candidates: int
    refill_request_interval: float
    idempotency_ttl: int
    region: str | None = None  # where the function runs (Lambda sets it); None outside AWS
    visits_table: str = DEFAULT_TABLES[Env.VISITS_TABLE]
    rollups_table: str = DEFAULT_TABLES[Env.ROLLUPS_TABLE]
    events_bucket: str | None = None  # deployed: raw events go to S3
    events_dir: str | None = None  # local: raw events go to this folder
    # The pipeline's bound (CONTRACT §2: 60 s deployed, 5 s locally): stats answer
    # ``as_of = now - stats_lag``, before which every visit is counted.
    stats_lag: int = 60

    @property
    def refill_threshold(self) -> int:
        return int(self.pool_target * self.pool_refill_ratio)


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    value = int(env.get(name, default))
    if not low <= value <= high:
        raise ValueError(f"{name}={value} is outside {low}..{high}")
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read the settings once per process (call ``get_settings.cache_clear()`` in tests)."""
    return read_settings(os.environ)


def read_settings(env: Mapping[str, str]) -> Settings:
    """Settings from ``env`` (names from ``Env``), with Snip's defaults and range checks."""
    ratio = float(env.get(Env.POOL_REFILL_RATIO, "0.7"))
    if not 0 < ratio <= 1:
        raise ValueError(f"{Env.POOL_REFILL_RATIO}={ratio} is outside (0, 1]")
    base_url = env.get(Env.PUBLIC_BASE_URL) or None
    return Settings(
        links_table=env.get(Env.LINKS_TABLE, DEFAULT_TABLES[Env.LINKS_TABLE]),
        keys_table=env.get(Env.KEYS_TABLE, DEFAULT_TABLES[Env.KEYS_TABLE]),
        idempotency_table=env.get(Env.IDEMPOTENCY_TABLE, DEFAULT_TABLES[Env.IDEMPOTENCY_TABLE]),
        api_keys_table=env.get(Env.API_KEYS_TABLE, DEFAULT_TABLES[Env.API_KEYS_TABLE]),
        keygen_function=env.get(Env.KEYGEN_FUNCTION) or None,
        public_base_url=base_url.rstrip("/") if base_url else None,
        key_length=_int(env, Env.KEY_LENGTH, 7, 4, 20),
        pool_target=_int(env, Env.POOL_TARGET, 50, 1, 1_000_000),
        pool_refill_ratio=ratio,
        pool_shards=_int(env, Env.POOL_SHARDS, 2, 1, 1000),
        candidates=_int(env, Env.CANDIDATES, 10, 1, 100),
        refill_request_interval=float(env.get(Env.REFILL_REQUEST_INTERVAL, "5")),
        idempotency_ttl=_int(env, Env.IDEMPOTENCY_TTL, 86_400, 60, 7 * 86_400),
        region=env.get(Env.REGION) or None,
        visits_table=env.get(Env.VISITS_TABLE, DEFAULT_TABLES[Env.VISITS_TABLE]),
        rollups_table=env.get(Env.ROLLUPS_TABLE, DEFAULT_TABLES[Env.ROLLUPS_TABLE]),
        events_bucket=env.get(Env.EVENTS_BUCKET) or None,
        events_dir=env.get(Env.EVENTS_DIR) or None,
        stats_lag=_int(env, Env.STATS_LAG, 60, 0, 3600),
    )
