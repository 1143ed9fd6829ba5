"""The functions of the local stack, by Lambda function name: Snip's three, plus any test-only ones.

Each runs with its deployed timeout, memory and reserved concurrency (``snip_deploy.function_specs``),
so keygen has one environment and never runs twice at once. An invocation that finds it busy waits:
an asynchronous one (shorten's refill requests, the schedule) as in Lambda's queue, for up to the
function's maximum event age, then it is dropped; a synchronous one for up to the function's timeout,
then 429 (docs/local.md says why this one waits where Lambda would refuse at once).
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from snip.execution.metric_names import NAMESPACE as METRICS_NAMESPACE
from snip.settings import DEFAULT_TABLES, Env
from snip_deploy.function_specs import FUNCTIONS, KEYGEN, FunctionSpec
from snip_local.local_config import LOCAL_STATS_LAG_SECONDS, REGION, REPO_ROOT, LocalConfig, function_name
from snip_local.worker_pool import FunctionPool, NoCapacity, WorkerSpec, worker_env

log = logging.getLogger("snip_local")

# Lambda keeps an asynchronous event for up to 6 hours unless the function says otherwise.
DEFAULT_MAX_EVENT_AGE = 6 * 3600.0
# Test-only functions (SNIP_TEST_FUNCTIONS) that stand in for none of Snip's own.
TEST_FUNCTION_MEMORY_MB = 256
TEST_FUNCTION_TIMEOUT = 15


def table_names() -> dict[str, str]:
    """Env name -> table name: the defaults, unless the caller's environment names others."""
    return {env_name: os.environ.get(env_name, default) for env_name, default in DEFAULT_TABLES.items()}


def function_env(config: LocalConfig) -> dict[str, str]:
    """The environment every function gets: the caller's, minus anything that could reach real AWS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(table_names())
    env.update(
        {
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",  # moto checks no signature
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_ENDPOINT_URL_DYNAMODB": config.aws_url,
            "AWS_ENDPOINT_URL_LAMBDA": config.aws_url,
            Env.KEYGEN_FUNCTION: function_name(KEYGEN.name),
            Env.PUBLIC_BASE_URL: config.base_url,
            Env.EVENTS_DIR: str(config.events_dir),
        }
    )
    env.setdefault(Env.STATS_LAG, str(LOCAL_STATS_LAG_SECONDS))
    env.setdefault(Env.OWNER_CUT_MARGIN, "0")  # one process: every function is of this version
    env.setdefault(Env.SERVICE_NAME, "snip")
    env.setdefault(Env.METRICS_NAMESPACE, METRICS_NAMESPACE)
    env.setdefault(Env.TRACE_DISABLED, "true")
    return env


def local_function_specs(config: LocalConfig) -> list[FunctionSpec]:
    """Snip's functions, with any test-only stand-in's folder (it keeps the function's limits)."""
    specs = dict(FUNCTIONS)
    for name, folder in config.test_functions.items():
        own = specs.get(name)
        specs[name] = FunctionSpec(
            name,
            str(folder),
            f"{folder.name}_app.handler",  # named after its folder: a stand-in keeps a name of its own
            memory_mb=own.memory_mb if own else TEST_FUNCTION_MEMORY_MB,
            timeout_seconds=own.timeout_seconds if own else TEST_FUNCTION_TIMEOUT,
            reserved_concurrency=own.reserved_concurrency if own else None,
            max_event_age_seconds=own.max_event_age_seconds if own else None,
        )
    return list(specs.values())


def worker_spec(spec: FunctionSpec, config: LocalConfig, base_env: dict[str, str]) -> WorkerSpec:
    """How the local stack runs one function: as deployed, within the machine's worker cap."""
    name = function_name(spec.name)
    folder = (REPO_ROOT / spec.folder).resolve()  # an absolute folder (a test stand-in's) stays as is
    reserved = spec.reserved_concurrency
    return WorkerSpec(
        function_name=name,
        folder=folder,
        handler=spec.handler,
        env=worker_env(base_env, name, spec.memory_mb, folder),
        timeout=float(spec.timeout_seconds),
        memory_mb=spec.memory_mb,
        max_workers=min(reserved, config.max_workers) if reserved else config.max_workers,
        max_event_age=float(spec.max_event_age_seconds or DEFAULT_MAX_EVENT_AGE),
        show_logs=config.function_logs,
    )


class LocalFunctions:
    def __init__(self, config: LocalConfig) -> None:
        base_env = function_env(config)
        self.pools = {
            function_name(spec.name): FunctionPool(worker_spec(spec, config, base_env))
            for spec in local_function_specs(config)
        }
        # Lambda queues asynchronous invocations; a few threads drain the queue through the pools.
        self._async = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lambda-event")

    def find(self, name_or_arn: str) -> FunctionPool | None:
        """Accepts a name, a partial or full ARN, with or without a qualifier, as the Invoke API does."""
        name = name_or_arn.split(":function:", 1)[-1].split(":", 1)[0]
        return self.pools.get(name)

    def invoke_async(self, pool: FunctionPool, event: Any) -> None:
        self._async.submit(self._run_event, pool, event, time.monotonic())

    def _run_event(self, pool: FunctionPool, event: Any, queued_at: float) -> None:
        # Queued, as Lambda queues it: the event waits for a free environment (keygen has one)
        # until it is older than the function's maximum event age, then it is dropped.
        age = time.monotonic() - queued_at
        try:
            outcome = pool.invoke(event, wait=max(0.0, pool.spec.max_event_age - age))
        except NoCapacity as exc:
            waited = time.monotonic() - queued_at
            log.warning("invoke %s (Event) dropped after %.0f s: %s", pool.spec.function_name, waited, exc)
            return
        except Exception:
            log.exception("async invocation of %s failed", pool.spec.function_name)
            return
        status = f"error {outcome.error['errorType']}" if outcome.error else "ok"
        log.info(
            "invoke %s (Event) %s %s%s %.0fms",
            pool.spec.function_name,
            status,
            outcome.worker,
            " cold" if outcome.cold else "",
            outcome.duration_ms,
        )

    def pids(self) -> list[int]:
        return [pid for pool in self.pools.values() for pid in pool.pids()]

    def close(self) -> None:
        self._async.shutdown(wait=False, cancel_futures=True)
        for pool in self.pools.values():
            pool.close()
