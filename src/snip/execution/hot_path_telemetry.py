"""Log and metric lines for the hot path, in Powertools' formats, without loading Powertools.

resolve's cold start goal (at most 1.15 times the bare handler's) leaves no room for Powertools' Logger and
Metrics, which resolve used for one warning line and one EMF document per request. These two small
classes write the same lines: a JSON log record with the keys Powertools' Logger writes (the
Lambda context, ``cold_start``, the API Gateway request id as ``correlation_id``) and an EMF
document shaped as Powertools' Metrics prints it (namespace, ``service`` dimension, a separate
``ColdStart`` document with the ``function_name`` dimension). tests/unit/test_hot_path_telemetry.py
runs both side by side and compares their structure, so dashboards, alarms and log queries see
no difference.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from types import TracebackType

_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


def _write(document: dict[str, object]) -> None:
    # Powertools' handlers write to stdout, one line each, flushed (Lambda ships stdout to Logs).
    sys.stdout.write(json.dumps(document, separators=(",", ":"), default=str) + "\n")
    sys.stdout.flush()


class JsonLogger:
    """Powertools' Logger record layout: level, location, message, timestamp, service, the
    Lambda context (``bind``), correlation id, extra keys; ``exception`` adds the traceback as
    ``exception``, ``exception_name`` and ``stack_trace``."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._context: dict[str, object] = {}
        self._cold = True

    def bind(self, context: object, correlation_id: str | None) -> None:
        """Start an invocation: its Lambda context and correlation id go on every record."""
        self._context = {
            "cold_start": self._cold,
            "function_name": getattr(context, "function_name", None),
            "function_memory_size": getattr(context, "memory_limit_in_mb", None),
            "function_arn": getattr(context, "invoked_function_arn", None),
            "function_request_id": getattr(context, "aws_request_id", None),
            "correlation_id": correlation_id,
        }
        self._cold = False

    def mark_warm(self) -> None:
        """The environment's cold start was reported by other telemetry (shorten's Powertools)."""
        self._cold = False

    def warning(self, message: str, extra: dict[str, object] | None = None) -> None:
        self._log("WARNING", message, extra, None)

    def exception(self, message: str, extra: dict[str, object] | None = None) -> None:
        self._log("ERROR", message, extra, sys.exc_info())

    def _log(
        self,
        level: str,
        message: str,
        extra: dict[str, object] | None,
        exc_info: tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None] | None,
    ) -> None:
        threshold = os.environ.get("POWERTOOLS_LOG_LEVEL") or os.environ.get("AWS_LAMBDA_LOG_LEVEL") or "INFO"
        if _LEVELS[level] < _LEVELS.get(threshold.upper(), 20):
            return
        caller = sys._getframe(2)
        moment = datetime.now(UTC)
        record: dict[str, object] = {
            "level": level,
            "location": f"{caller.f_code.co_name}:{caller.f_lineno}",
            "message": message,
            "timestamp": moment.strftime("%Y-%m-%d %H:%M:%S,") + f"{moment.microsecond // 1000:03d}+0000",
            "service": self.service,
            **self._context,
        }
        trace_id = os.environ.get("_X_AMZN_TRACE_ID", "")
        if trace_id:
            record["xray_trace_id"] = trace_id.split(";")[0].removeprefix("Root=")
        record.update(extra or {})
        if exc_info and exc_info[1] is not None:
            kind, error, tb = exc_info
            assert kind is not None
            record["exception"] = "".join(traceback.format_exception(kind, error, tb)).rstrip("\n")
            record["exception_name"] = kind.__name__
            record["stack_trace"] = {
                "type": kind.__name__,
                "value": str(error),
                "module": kind.__module__,
                "frames": [
                    {"file": f.filename, "line": f.lineno, "function": f.name, "statement": f.line}
                    for f in traceback.extract_tb(tb)
                ],
            }
        _write(record)


class EmfCounters:
    """Count metrics (unit Count) gathered during an invocation, flushed as one EMF document with
    the ``service`` dimension, plus Powertools' ``ColdStart`` document on the first one."""

    def __init__(self, namespace: str, service: str) -> None:
        self.namespace = namespace
        self.service = service
        self._counts: dict[str, list[float]] = {}
        self._cold = True

    def mark_warm(self) -> None:
        """The environment's ColdStart was counted by other telemetry (shorten's Powertools)."""
        self._cold = False

    def add(self, name: str, value: float = 1) -> None:
        self._counts.setdefault(name, []).append(float(value))

    def flush(self, context: object) -> None:
        if self._cold:
            self._cold = False
            name = getattr(context, "function_name", None)
            _write(self._document({"ColdStart": [1.0]}, {"function_name": name}))
        if self._counts:
            counts, self._counts = self._counts, {}
            _write(self._document(counts, {}))

    def _document(self, counts: dict[str, list[float]], dimensions: dict[str, object]) -> dict[str, object]:
        dimensions = {**dimensions, "service": self.service}
        return {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": self.namespace,
                        "Dimensions": [list(dimensions)],
                        "Metrics": [{"Name": name, "Unit": "Count"} for name in counts],
                    }
                ],
            },
            **dimensions,
            **counts,
        }
