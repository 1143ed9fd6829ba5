"""shorten's Powertools Logger and Metrics, and the counts its routes add.

The entry point hands these two objects to ``snip.execution.powertools_wiring.instrument``,
which flushes the metrics after every invocation; routes add to them through the function
below, so that a metric's name and unit are written once (the lean POST /links counts the same
``metric_names.creation_counts`` with its own EMF counters).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from snip.execution import metric_names
from snip.operations.key_pool import Claim

SERVICE = "shorten"
logger = Logger(service=SERVICE)
metrics = Metrics(namespace=metric_names.NAMESPACE, service=SERVICE)


def count_created(links: int, claim: Claim | None = None) -> None:
    """New links, and how a single create's key was claimed (``metric_names.creation_counts``)."""
    for name, value in metric_names.creation_counts(links, claim):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
