"""aggregate: the visits table's stream → per-link rollups, link counters and the raw archive.

Invoked by the event source mapping on the visits table's stream (deployed) or by
``snip_local.stream_poller`` (locally) with batches of one shard's INSERT records and the shard's
id (``shardId``: the mapping's tumbling window adds it); answers ReportBatchItemFailures and the
window's (empty) state, so a failed link's records are delivered again and nothing is counted
twice (``snip.operations.visit_counting``, ``snip.data.rollups_table``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from snip.data.owner_totals import owners_table
from snip.data.rollups_table import rollups_table
from snip.data.visit_archive import Archive, archive
from snip.execution import environment, metric_names
from snip.execution.powertools_wiring import instrument
from snip.operations.visit_counting import BatchResponse, aggregate
from snip.settings import get_settings
from visit_classes import classify

# Links of one batch counted at once: each link's updates wait for DynamoDB one after another,
# and a batch holds hundreds of links (docs/architecture.md, "The visit path").
COUNTING_WORKERS = 8
logger = Logger(service="aggregate")
metrics = Metrics(namespace=metric_names.NAMESPACE, service="aggregate")


@lru_cache(maxsize=1)
def _archive() -> Archive:
    settings = get_settings()
    return archive(settings.events_bucket, settings.events_dir)


def _handle(event: dict[str, Any], context: Any) -> BatchResponse:
    shard = str(event.get("shardId") or "")
    outcome = aggregate(
        event.get("Records", []),
        shard,
        classify,
        rollups_table(),
        _archive(),
        workers=COUNTING_WORKERS,
        owners=owners_table(),
    )
    logger.info(
        "batch aggregated",
        extra={
            "records": len(event.get("Records", [])),
            "shard": shard,
            "counted": outcome.counted,
            "repeated": outcome.repeated,
            "skipped": outcome.skipped,
            "failed": len(outcome.failed),
        },
    )
    metrics.add_metric(name=metric_names.VISITS_AGGREGATED, unit=MetricUnit.Count, value=outcome.counted)
    metrics.add_metric(name=metric_names.VISITS_REPEATED, unit=MetricUnit.Count, value=outcome.repeated)
    return outcome.response()


handler = instrument(_handle, logger, metrics, correlation_path=None, trace=False)

environment.freeze_imports()  # last: everything imported above stays out of the collector's way
