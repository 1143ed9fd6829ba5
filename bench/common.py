"""What the benchmarks share: paths, the Lambda-like environment, a moto server, statistics."""

from __future__ import annotations

import logging
import math
import os
import statistics
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from snip.execution.metric_names import NAMESPACE as METRICS_NAMESPACE
from snip_deploy.function_specs import FUNCTIONS
from snip_local.local_config import function_name

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ROOT / ".lambda-runtime"
BENCH = ROOT / "bench"
BARE = BENCH / "bare"
PROBES = BENCH / "probes"
RESULTS = BENCH / "results"
DOCS = ROOT / "docs"
PYTHON = sys.executable
LOCAL = "127.0.0.1"
# A link's target as shorten stores a typical one (a campaign landing page with UTM parameters): the
# size of its item (part 8) and of the redirect's Location header (part 7) are measured with it.
TYPICAL_TARGET = (
    "https://example.com/campaigns/2030/spring-sale/landing?utm_source=newsletter&utm_medium=email"
)

# The functions' settings (snip.settings) as the CDK stack passes them, plus what Lambda sets.
TRACE_ID = "Root=1-65a1b2c3-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"


def lambda_env(
    name: str, *, endpoint: str | None = None, tracing: bool = False, folder: Path | None = None
) -> dict[str, str]:
    """The environment a function sees on Lambda: runtime variables, fake credentials, our settings.

    ``tracing=True`` is the deployed configuration (active tracing, the X-Ray SDK loaded where
    Powertools' Tracer is used); ``False`` sets POWERTOOLS_TRACE_DISABLED=true.
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": function_name(name),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(FUNCTIONS[name].memory_mb if name in FUNCTIONS else 512),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function_name(name)}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "POWERTOOLS_SERVICE_NAME": name,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "SNIP_PUBLIC_BASE_URL": "https://sho.rt",
    }
    if folder is not None:
        env["LAMBDA_TASK_ROOT"] = str(folder)
    if endpoint:
        env["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    if tracing:
        env["_X_AMZN_TRACE_ID"] = TRACE_ID
        env["AWS_XRAY_CONTEXT_MISSING"] = "LOG_ERROR"
        env["AWS_XRAY_DAEMON_ADDRESS"] = f"{LOCAL}:2000"  # UDP, nobody listens: segments are dropped
    else:
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
    return env


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1 (a free port), with Snip's tables; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    from snip.settings import DEFAULT_TABLES
    from snip_deploy.tables import create_tables

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per request
    server = ThreadedMotoServer(ip_address=LOCAL, port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        create_tables(dynamodb_client(endpoint), DEFAULT_TABLES)
        yield endpoint
    finally:
        server.stop()


def dynamodb_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 - moto checks no signature
    )


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest rank: an observed value, never an interpolation."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def summary(values: Sequence[float], scale: float = 1.0) -> dict[str, float]:
    """n, p50, p90, p99, mean, min, max of ``values`` multiplied by ``scale``."""
    scaled = [v * scale for v in values]
    return {
        "n": len(scaled),
        "p50": median(scaled),
        "p90": percentile(scaled, 90),
        "p99": percentile(scaled, 99),
        "mean": statistics.fmean(scaled) if scaled else math.nan,
        "min": min(scaled) if scaled else math.nan,
        "max": max(scaled) if scaled else math.nan,
    }


def ratio(subject: float, reference: float) -> float:
    return subject / reference if reference else math.nan
