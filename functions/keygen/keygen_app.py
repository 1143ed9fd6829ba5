"""keygen: keeps the pool of unused keys between refill_ratio * target and target.

Runs every minute (EventBridge) and on demand (shorten's asynchronous invoke); both events
are handled alike: move keys left in a shard that ``SNIP_POOL_SHARDS`` no longer names, size
the target from the claims seen since the last run, refill if the pool is below its threshold.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from snip.execution import environment, metric_names
from snip.execution.powertools_wiring import instrument
from snip.operations.key_pool import refill_pool
from snip.settings import get_settings

logger = Logger(service="keygen")
metrics = Metrics(namespace=metric_names.NAMESPACE, service="keygen")


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    refill = refill_pool(environment.key_pool_table(), get_settings())
    trigger = event.get("detail-type") or event.get("source") or "invoke"
    logger.info("pool checked", extra={"trigger": trigger, **refill.__dict__})
    metrics.add_metric(name=metric_names.KEYS_GENERATED, unit=MetricUnit.Count, value=refill.added)
    metrics.add_metric(name=metric_names.KEY_COLLISIONS, unit=MetricUnit.Count, value=refill.collisions)
    metrics.add_metric(name=metric_names.POOL_SIZE, unit=MetricUnit.Count, value=refill.pool_after)
    return {
        "pool_before": refill.pool_before,
        "added": refill.added,
        "pool_after": refill.pool_after,
        "target": refill.target,
    }


# Like resolve, no X-Ray SDK (~0.1 s of cold start): Lambda's active tracing records each run.
handler = instrument(_handle, logger, metrics, correlation_path=None, trace=False)

environment.freeze_imports()  # last: everything imported above stays out of the collector's way
