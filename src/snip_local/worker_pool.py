"""Execution environments: each function runs in worker processes, one invocation at a time each.

Like Lambda, a pool starts a new environment (a cold start) only when every warm one is busy, up to a
limit, reuses warm ones (most recently used first), and discards an environment whose invocation timed
out, crashed or failed to initialise. The limit is the function's reserved concurrency when it has one
(keygen: 1, so two keygen environments never exist at once), else the machine's ``SNIP_MAX_WORKERS``.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from itertools import count
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any

from snip_local.local_config import ACCOUNT_ID, FUNCTION_NAME_PREFIX, REGION

log = logging.getLogger("snip_local")

INIT_TIMEOUT = 10.0  # Lambda's init phase limit
# Errors after which Lambda throws the execution environment away rather than reusing it.
FATAL_ERRORS = {"Sandbox.Timedout", "Runtime.ExitError"}


@dataclass(frozen=True)
class WorkerSpec:
    function_name: str  # "snip-shorten"
    folder: Path
    handler: str  # "shorten_app.handler"
    env: dict[str, str]
    timeout: float  # the deployed function's timeout, seconds
    memory_mb: int  # the deployed function's memory (what the handler's context reports)
    max_workers: int  # environments at most: reserved concurrency, or the machine's cap
    max_event_age: float  # seconds an asynchronous event may wait for an environment
    show_logs: bool

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"


@dataclass
class Outcome:
    """One invocation, as the caller (gateway, Invoke API) needs it."""

    result: Any = None
    error: dict[str, Any] | None = None  # Lambda's error payload: errorType, errorMessage, stackTrace
    worker: str = "-"
    cold: bool = False
    duration_ms: float = 0.0


class NoCapacity(Exception):
    """Every environment stayed busy for as long as the caller was willing to wait."""


def _error(error_type: str, message: str) -> dict[str, Any]:
    return {"errorType": error_type, "errorMessage": message, "stackTrace": []}


class Worker:
    """One worker process and its end of the socket."""

    def __init__(self, spec: WorkerSpec, label: str) -> None:
        self.spec = spec
        self.label = label
        parent, child = socket.socketpair()
        env = dict(spec.env, AWS_LAMBDA_LOG_STREAM_NAME=self.log_stream)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "snip_local.worker", str(spec.folder), spec.handler, str(child.fileno())],
            pass_fds=[child.fileno()],
            env=env,
            cwd=spec.folder,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if spec.show_logs else subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        child.close()
        self.conn = Connection(parent.detach())
        if self.process.stdout is not None:
            threading.Thread(target=self._forward_logs, args=(self.process.stdout,), daemon=True).start()

    @property
    def log_stream(self) -> str:
        return f"{time.strftime('%Y/%m/%d')}/[$LATEST]{self.label.replace('#', '-')}"

    def _forward_logs(self, stream: IO[bytes]) -> None:
        # The function's stdout is its CloudWatch log stream; here each line goes to the console, labelled.
        for line in stream:
            sys.stdout.write(f"  {self.label} | {line.decode(errors='replace').rstrip()}\n")
        stream.close()

    def wait_ready(self) -> dict[str, Any] | None:
        """None when the handler imported, else Lambda's init error payload."""
        if not self.conn.poll(INIT_TIMEOUT):
            return _error("Runtime.InitTimeout", f"init did not finish in {INIT_TIMEOUT:.0f} s")
        try:
            message = json.loads(self.conn.recv_bytes())
        except EOFError:
            return _error("Runtime.ExitError", "the runtime exited during init")
        return message.get("init_error")

    def invoke(self, event: Any, request_id: str, timeout: float) -> Outcome:
        deadline_ms = int((time.time() + timeout) * 1000)
        context = {
            "aws_request_id": request_id,
            "function_name": self.spec.function_name,
            "function_version": "$LATEST",
            "invoked_function_arn": self.spec.arn,
            "memory_limit_in_mb": self.spec.memory_mb,
            "log_group_name": f"/aws/lambda/{self.spec.function_name}",
            "log_stream_name": self.log_stream,
            "deadline_ms": deadline_ms,
            "trace_id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0",
        }
        try:
            self.conn.send_bytes(json.dumps({"event": event, "context": context}).encode())
            if not self.conn.poll(timeout):
                return Outcome(
                    error=_error("Sandbox.Timedout", f"Task timed out after {timeout:.2f} seconds")
                )
            reply = json.loads(self.conn.recv_bytes())
        except (EOFError, OSError):  # the process died, or the stack is stopping it
            return Outcome(error=_error("Runtime.ExitError", "the runtime exited during the invocation"))
        return Outcome(result=reply.get("result"), error=reply.get("error"))

    def stop(self) -> None:
        self.conn.close()  # EOF: an idle worker exits by itself
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class FunctionPool:
    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self._idle: list[Worker] = []  # most recently used last
        self._all: set[Worker] = set()
        self._starting = 0
        self._numbers = count(1)
        self._cond = threading.Condition()
        self._closed = False

    def _acquire(self, wait: float) -> tuple[Worker | None, bool]:
        """A warm worker, or (None, True) when the caller may start one."""
        deadline = time.monotonic() + wait
        dead: list[Worker] = []
        try:
            with self._cond:
                while True:
                    if self._closed:
                        raise NoCapacity(f"{self.spec.function_name} is shutting down")
                    while self._idle:
                        worker = self._idle.pop()
                        if worker.process.poll() is None:
                            return worker, False
                        # Its runtime exited while idle (killed from outside): as Lambda replaces
                        # such an environment, it is never handed an invocation.
                        self._all.discard(worker)
                        dead.append(worker)
                    if len(self._all) + self._starting < self.spec.max_workers:
                        self._starting += 1
                        return None, True
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        busy = f"all {self.spec.max_workers} {self.spec.function_name} workers busy"
                        raise NoCapacity(busy)
                    self._cond.wait(remaining)
        finally:
            for worker in dead:
                log.info("%s discarded: its runtime exited while idle", worker.label)
                worker.stop()

    def _start_worker(self) -> tuple[Worker | None, dict[str, Any] | None]:
        label = f"{self.spec.function_name.removeprefix(FUNCTION_NAME_PREFIX)}#{next(self._numbers)}"
        began = time.monotonic()
        worker: Worker | None = None
        try:
            worker = Worker(self.spec, label)
            init_error = worker.wait_ready()
        except OSError as exc:
            init_error = _error("Runtime.StartError", str(exc))
        with self._cond:
            self._starting -= 1
            if init_error is None and worker is not None and not self._closed:
                self._all.add(worker)
            self._cond.notify()
        if init_error is not None or worker is None or worker not in self._all:
            log.error("init failed: %s %s: %s", label, init_error and init_error["errorType"], init_error)
            if worker is not None:
                worker.stop()
            return None, init_error or _error("Runtime.StartError", "shutting down")
        log.info("cold start: %s ready in %.0f ms (pid %d)", label, _ms_since(began), worker.process.pid)
        return worker, None

    def _release(self, worker: Worker, healthy: bool) -> None:
        with self._cond:
            if healthy and not self._closed:
                self._idle.append(worker)
            else:
                self._all.discard(worker)
            self._cond.notify()
        if not healthy:
            worker.process.kill()
            worker.stop()

    def invoke(self, event: Any, *, request_id: str | None = None, wait: float = 29.0) -> Outcome:
        """Run one invocation; raises NoCapacity if no environment frees up within ``wait`` seconds."""
        request_id = request_id or str(uuid.uuid4())
        began = time.monotonic()
        worker, cold = self._acquire(wait)
        if worker is None:
            worker, init_error = self._start_worker()
            if worker is None:
                return Outcome(error=init_error, cold=True, duration_ms=_ms_since(began))
        outcome = worker.invoke(event, request_id, self.spec.timeout)
        crashed = outcome.error is not None and outcome.error["errorType"] in FATAL_ERRORS
        if crashed:
            log.error("%s discarded: %s", worker.label, outcome.error and outcome.error["errorMessage"])
        self._release(worker, healthy=not crashed)
        outcome.worker, outcome.cold, outcome.duration_ms = worker.label, cold, _ms_since(began)
        return outcome

    def pids(self) -> list[int]:
        with self._cond:
            return [w.process.pid for w in self._all]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
            self._idle.clear()
            self._cond.notify_all()
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.terminate()
            worker.stop()


def _ms_since(began: float) -> float:
    return (time.monotonic() - began) * 1000


def worker_env(base: dict[str, str], function_name: str, memory_mb: int, folder: Path) -> dict[str, str]:
    """What the Lambda runtime adds to a function's environment."""
    return dict(
        base,
        AWS_LAMBDA_FUNCTION_NAME=function_name,
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE=str(memory_mb),
        AWS_LAMBDA_LOG_GROUP_NAME=f"/aws/lambda/{function_name}",
        LAMBDA_TASK_ROOT=str(folder),
        PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE=os.environ.get("PYTHONDONTWRITEBYTECODE", "1"),
    )
