"""snip.execution.hot_path_telemetry writes what Powertools' Logger and Metrics write, without loading them.

The same invocations (a cold one and a warm one, each with a warning, an exception and a count)
go through Powertools and through the lean classes; the lines must agree: the same keys in every
log record (values too, where they do not depend on the moment or the code location), and the
same EMF documents but for their timestamps.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.logging import logger as powertools_logger_module
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider import cold_start as powertools_cold_start

from snip.execution.hot_path_telemetry import EmfCounters, JsonLogger


class Context:
    function_name = "snip-resolve"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:snip-resolve"
    memory_limit_in_mb = 512
    aws_request_id = "lambda-request"

    def get_remaining_time_in_millis(self) -> int:
        return 1000


EVENTS = [{"requestContext": {"requestId": "gateway-1"}}, {"requestContext": {"requestId": "gateway-2"}}]
VARYING = ("timestamp", "location", "exception", "stack_trace")  # the moment, the code location


def powertools_lines(service: str = "resolve") -> None:
    # Powertools keeps one logging.Logger per service, bound to the stdout of its first use.
    logger = Logger(service=service)
    metrics = Metrics(namespace="Snip", service=service)

    def handler(event: dict[str, Any], context: Any) -> None:
        metrics.add_metric(name="Redirects", unit=MetricUnit.Count, value=1)
        logger.warning("redirect failed", extra={"key": "Abc1234", "status": 503})
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("unexpected failure")

    wrapped = logger.inject_lambda_context(
        metrics.log_metrics(handler, capture_cold_start_metric=True),
        correlation_id_path=correlation_paths.API_GATEWAY_REST,
    )
    for event in EVENTS:
        wrapped(event, Context())


def lean_lines(service: str = "resolve") -> None:
    logger = JsonLogger(service=service)
    metrics = EmfCounters(namespace="Snip", service=service)
    for event in EVENTS:
        logger.bind(Context(), correlation_id=event["requestContext"]["requestId"])
        metrics.add("Redirects")
        logger.warning("redirect failed", extra={"key": "Abc1234", "status": 503})
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("unexpected failure")
        metrics.flush(Context())


def lines(capsys: pytest.CaptureFixture[str], write: Any) -> list[dict[str, Any]]:
    capsys.readouterr()
    write()
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    if "_aws" in document:
        return {**document, "_aws": {**document["_aws"], "Timestamp": 0}}
    return {k: (type(v).__name__ if k in VARYING else v) for k, v in document.items()}


def test_the_same_lines_as_powertools(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    monkeypatch.delenv("POWERTOOLS_LOG_LEVEL", raising=False)
    # Powertools' cold start is once per process: another test may have spent it already.
    monkeypatch.setattr(powertools_cold_start, "is_cold_start", True)
    monkeypatch.setattr(powertools_logger_module, "is_cold_start", True)
    theirs = lines(capsys, powertools_lines)
    ours = lines(capsys, lean_lines)
    assert [list(d) for d in ours] == [list(d) for d in theirs]  # the same keys, in the same order
    assert [comparable(d) for d in ours] == [comparable(d) for d in theirs]
    errors = [d for d in ours if d.get("level") == "ERROR"]
    assert errors
    assert all("ValueError: boom" in d["exception"] for d in errors)
    assert all(d["stack_trace"]["frames"] for d in errors)


def test_the_trace_id_is_logged_like_powertools(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "_X_AMZN_TRACE_ID", "Root=1-65a1b2c3-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"
    )
    theirs = [d for d in lines(capsys, lambda: powertools_lines("traced")) if "level" in d]
    ours = [d for d in lines(capsys, lambda: lean_lines("traced")) if "level" in d]
    assert len(ours) == len(theirs) == 4
    assert [d["xray_trace_id"] for d in ours] == [d["xray_trace_id"] for d in theirs]
