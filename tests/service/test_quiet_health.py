"""A cold GET /health adds no metric, and Powertools' warning about that is not printed."""

from __future__ import annotations

import warnings

from tests.service.conftest import Call

EMPTY_METRICS_WARNING = "No application metrics to publish"  # Powertools' words


def test_health_writes_no_empty_metrics_warning(call: Call) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # over pyproject's filter for the test suite
        reply = call("GET", "/health", api_key_id=None)
    assert reply.status == 200
    assert not [w for w in caught if EMPTY_METRICS_WARNING in str(w.message)]
