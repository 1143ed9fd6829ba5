"""API Gateway's throttling and usage plans: token buckets and a daily quota, with the deployed numbers.

Stage throttling applies to each method separately (one bucket per method and resource, shared by all
clients), the usage plan's throttle to each API key, the quota to each API key per UTC day.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from enum import Enum

from snip_deploy.api_limits import ApiLimits, Throttle


class TokenBucket:
    def __init__(self, limit: Throttle) -> None:
        self.rate = limit.rate
        self.burst = limit.burst
        self.tokens = float(limit.burst)
        self.updated = time.monotonic()

    def refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now


class Verdict(Enum):
    ADMIT = "admit"
    THROTTLED = "throttled"  # 429 Too Many Requests
    QUOTA_SPENT = "quota"  # 429 Limit Exceeded


class Limiter:
    def __init__(self, limits: ApiLimits) -> None:
        self.limits = limits
        self._methods: dict[tuple[str, str], TokenBucket] = {}
        self._keys: dict[str, TokenBucket] = {}
        self._used: dict[tuple[str, str], int] = {}  # (key id, UTC date) -> requests
        self._lock = threading.Lock()

    def check(self, method: str, resource: str, key_id: str | None) -> Verdict:
        """Take a token from every bucket the request meets, or none if any is empty."""
        with self._lock:
            buckets = [self._methods.setdefault((method, resource), TokenBucket(self.limits.stage))]
            quota_slot = None
            if key_id is not None:
                # A spent quota is final for the day, whatever the buckets hold: it is checked first.
                quota_slot = (key_id, datetime.now(UTC).date().isoformat())
                if self._used.get(quota_slot, 0) >= self.limits.daily_quota:
                    return Verdict.QUOTA_SPENT
                buckets.append(self._keys.setdefault(key_id, TokenBucket(self.limits.usage_plan)))
            for bucket in buckets:
                bucket.refill()
            if any(bucket.tokens < 1 for bucket in buckets):
                return Verdict.THROTTLED
            for bucket in buckets:
                bucket.tokens -= 1
            if quota_slot is not None:
                self._used[quota_slot] = self._used.get(quota_slot, 0) + 1
            return Verdict.ADMIT
