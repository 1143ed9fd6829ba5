"""shorten's Powertools Logger and Metrics, and the counts its routes add.

The entry point hands these two objects to ``snip.execution.powertools_wiring.instrument``,
which flushes the metrics after every invocation; routes add to them through the functions
below, so that a metric's name and unit are written once.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from snip.execution import metric_names
from snip.operations.key_pool import Claim

SERVICE = "shorten"
logger = Logger(service=SERVICE)
metrics = Metrics(namespace=metric_names.NAMESPACE, service=SERVICE)


def count_created(links: int) -> None:
    metrics.add_metric(name=metric_names.LINKS_CREATED, unit=MetricUnit.Count, value=links)


def count_claim(claim: Claim | None) -> None:
    """How a new link's key was claimed: conflicts met on the way, and whether the pool was empty."""
    if claim is None:  # an alias: no key claimed
        return
    metrics.add_metric(name=metric_names.KEY_CLAIM_CONFLICTS, unit=MetricUnit.Count, value=claim.conflicts)
    if claim.fallback:
        metrics.add_metric(name=metric_names.POOL_EMPTY_FALLBACKS, unit=MetricUnit.Count, value=1)
