"""Start and stop local stacks (``snip serve`` subprocesses) on free ports, and look inside them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import requests

from snip.settings import DEFAULT_TABLES, Env

REPO = Path(__file__).resolve().parents[2]
PROBE = "probe=tests/e2e/fixtures/probe"
READY_MARK = "curl -s -X POST"  # the last line `snip serve` prints once it accepts requests
START_TIMEOUT = 60.0
KEYS_TABLE = DEFAULT_TABLES[Env.KEYS_TABLE]  # the local stack creates the tables under the default names


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def snip_command() -> list[str]:
    script = Path(sys.executable).with_name("snip")
    return [str(script)] if script.exists() else [sys.executable, "-m", "snip_local.cli"]


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    base_url: str
    aws_url: str
    keys: dict[str, str]  # key id -> secret
    log_path: Path

    def headers(self, key_id: str = "local") -> dict[str, str]:
        return {"x-api-key": self.keys[key_id]}

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def dynamodb(self) -> Any:
        return boto3.client(
            "dynamodb",
            endpoint_url=self.aws_url,
            region_name="eu-west-3",  # any region: the endpoint folds it into its own
            aws_access_key_id="anything",
            aws_secret_access_key="anything",
        )

    def pool_size(self) -> int:
        """Unused keys: the live shards' items (keygen's sizing record sits in shard -1)."""
        response = self.dynamodb().scan(
            TableName=KEYS_TABLE,
            Select="COUNT",
            FilterExpression="#s >= :zero",
            ExpressionAttributeNames={"#s": "shard"},
            ExpressionAttributeValues={":zero": {"N": "0"}},
        )
        return int(response["Count"])

    def empty_pool(self) -> None:
        client = self.dynamodb()
        for item in client.scan(
            TableName=KEYS_TABLE,
            ProjectionExpression="#s, #k",
            ExpressionAttributeNames={"#s": "shard", "#k": "key"},
        )["Items"]:
            client.delete_item(TableName=KEYS_TABLE, Key=item)

    def create_concurrently(
        self, clients: int, per_client: int, prefix: str, deadline: float
    ) -> list[tuple[int, str, str]]:
        """``clients`` threads each POST ``per_client`` links (stopping at ``deadline``, a
        ``time.monotonic()`` instant); returns (status, key, url) per request."""

        def client(n: int) -> list[tuple[int, str, str]]:
            session = requests.Session()
            made = []
            for i in range(per_client):
                if time.monotonic() >= deadline:
                    break
                url = f"https://example.com/{prefix}/{n}/{i}"
                response = session.post(
                    f"{self.base_url}/links", json={"url": url}, headers=self.headers(), timeout=60
                )
                made.append((response.status_code, response.json().get("key", ""), url))
            return made

        with ThreadPoolExecutor(clients) as pool:
            return [row for rows in pool.map(client, range(clients)) for row in rows]

    def descendants(self) -> set[int]:
        return descendants(self.process.pid)


def descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone in every way that matters here, but still answers kill(0).
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rpartition(")")[2].split()[0] != "Z"


def launch(log_dir: Path, name: str, **env: str) -> Stack:
    port, aws_port = free_port(), free_port()
    keys = {"local": "local-dev-key", "other": "other-dev-key"}
    full_env = {
        **os.environ,
        "PORT": str(port),
        "SNIP_DYNAMODB_PORT": str(aws_port),
        "SNIP_API_KEYS": ",".join(f"{k}:{v}" for k, v in keys.items()),
        "SNIP_TEST_FUNCTIONS": PROBE,
        "SNIP_EVENTS_DIR": str(
            log_dir / f"{name}-events"
        ),  # raw visit events: beside the log, not in the repository
        **env,
    }
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            [*snip_command(), "serve"], cwd=REPO, env=full_env, stdout=out, stderr=subprocess.STDOUT
        )
    stack = Stack(process, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{aws_port}", keys, log_path)
    deadline = time.monotonic() + START_TIMEOUT
    while READY_MARK not in stack.log():
        if process.poll() is not None or time.monotonic() > deadline:
            stop(stack)
            raise RuntimeError(f"snip serve ({name}) did not start:\n{stack.log()}")
        time.sleep(0.1)
    return stack


@contextmanager
def running_stack(log_dir: Path, name: str, **env: str) -> Iterator[Stack]:
    """A stack for the ``with`` block (``launch``), stopped after it; a stop that fails, fails."""
    running = launch(log_dir, name, **env)
    yield running
    assert stop(running) == 0, running.log()[-4000:]


def stop(stack: Stack, timeout: float = 20.0) -> int:
    """Ctrl-C, by pid; kill only if it does not end in time (a test then fails on the return code)."""
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGINT)
    try:
        return stack.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        for pid in stack.descendants():
            os.kill(pid, signal.SIGKILL)
        stack.process.kill()
        stack.process.wait()
        return -9
