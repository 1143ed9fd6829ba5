"""The functions of the local stack, by Lambda function name: Snip's three, plus any test-only ones."""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from snip.metric_names import NAMESPACE as METRICS_NAMESPACE
from snip.settings import DEFAULT_TABLES, Env
from snip_deploy.function_specs import FUNCTIONS
from snip_local.local_config import REGION, REPO_ROOT, LocalConfig, function_name
from snip_local.worker_pool import FunctionPool, WorkerSpec, worker_env

log = logging.getLogger("snip_local")


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
            Env.KEYGEN_FUNCTION: function_name("keygen"),
            Env.PUBLIC_BASE_URL: config.base_url,
        }
    )
    env.setdefault(Env.SERVICE_NAME, "snip")
    env.setdefault(Env.METRICS_NAMESPACE, METRICS_NAMESPACE)
    env.setdefault(Env.TRACE_DISABLED, "true")
    return env


def function_specs(config: LocalConfig) -> dict[str, WorkerSpec]:
    """Function name -> spec, for Snip's functions and the test-only ones (which may stand in for them)."""
    folders: dict[str, tuple[Path, str]] = {
        name: (REPO_ROOT / fn.folder, fn.handler) for name, fn in FUNCTIONS.items()
    }
    for name, folder in config.test_functions.items():
        folders[name] = (folder, f"{name}_app.handler")
    base = function_env(config)
    specs = {}
    for name, (folder, handler) in folders.items():
        fname = function_name(name)
        specs[fname] = WorkerSpec(
            function_name=fname,
            folder=folder,
            handler=handler,
            env=worker_env(base, fname, config.memory_mb, folder),
            timeout=config.function_timeout,
            memory_mb=config.memory_mb,
            max_workers=config.max_workers,
            show_logs=config.function_logs,
        )
    return specs


class LocalFunctions:
    def __init__(self, config: LocalConfig) -> None:
        self.pools = {name: FunctionPool(spec) for name, spec in function_specs(config).items()}
        # Lambda queues asynchronous invocations; a few threads drain the queue through the pools.
        self._async = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lambda-event")

    def find(self, name_or_arn: str) -> FunctionPool | None:
        """Accepts a name, a partial or full ARN, with or without a qualifier, as the Invoke API does."""
        name = name_or_arn.split(":function:", 1)[-1].split(":", 1)[0]
        return self.pools.get(name)

    def invoke_async(self, pool: FunctionPool, event: Any) -> None:
        self._async.submit(self._run_event, pool, event)

    def _run_event(self, pool: FunctionPool, event: Any) -> None:
        try:
            outcome = pool.invoke(event, wait=pool.spec.timeout)
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
