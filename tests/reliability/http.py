"""Helpers for the suites that drive the local stack over HTTP."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from tests.e2e.stacks import Stack

FAULTS_PATH = "/_snip/faults"  # the local endpoint's fault rules (docs/local.md, "Injecting faults")


def invoke_keygen(stack: Stack) -> dict[str, Any]:
    """Run keygen once, synchronously, through the stack's Lambda Invoke API."""
    response = requests.post(
        f"{stack.aws_url}/2015-03-31/functions/snip-keygen/invocations",
        data=json.dumps({"source": "aws.events", "detail-type": "Scheduled Event"}),
        timeout=120,
    )
    response.raise_for_status()
    assert "X-Amz-Function-Error" not in response.headers, response.text
    return dict(response.json())


def table_keys(stack: Stack, table: str) -> list[str]:
    """The ``key`` attribute of every item of a table (paginated scan)."""
    client = stack.dynamodb()
    keys: list[str] = []
    start: dict[str, Any] | None = None
    while True:
        page = client.scan(
            TableName=table,
            ProjectionExpression="#k",
            ExpressionAttributeNames={"#k": "key"},
            **({"ExclusiveStartKey": start} if start else {}),
        )
        keys += [item["key"]["S"] for item in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if not start:
            return keys


class Deadline:
    """A bound on a load loop: it stops by itself after ``seconds`` (never asserted as a timing)."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def __bool__(self) -> bool:
        return time.monotonic() < self.end


def rss_mb(pid: int) -> int:
    """Resident memory of a process, in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


def set_faults(stack: Stack, spec: str, seed: int = 0) -> None:
    """Replace the stack's fault rules between the functions and DynamoDB ("" turns them off)."""
    response = requests.post(f"{stack.aws_url}{FAULTS_PATH}", json={"faults": spec, "seed": seed}, timeout=10)
    response.raise_for_status()


def fault_state(stack: Stack) -> dict[str, Any]:
    """The rules in force and, since they were set, the DynamoDB requests seen and faults injected."""
    response = requests.get(f"{stack.aws_url}{FAULTS_PATH}", timeout=10)
    response.raise_for_status()
    return dict(response.json())


def try_keygen(stack: Stack) -> bool:
    """One keygen run through the Invoke API: True if it refilled (or had nothing to do)."""
    response = requests.post(
        f"{stack.aws_url}/2015-03-31/functions/snip-keygen/invocations",
        data=json.dumps({"source": "aws.events", "detail-type": "Scheduled Event"}),
        timeout=120,
    )
    response.raise_for_status()
    return "X-Amz-Function-Error" not in response.headers


class Caller:
    """One HTTP client of the stack (one per thread): sends requests, counts statuses, and notes
    every answer that breaks Snip's rules (a 5xx other than a 503 with Retry-After, an error body
    not in Snip's shape)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.session = requests.Session()
        self.statuses: Counter[int] = Counter()
        self.broken: list[str] = []

    def __call__(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        key: bool = True,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        response = self.session.request(
            method,
            f"{self.stack.base_url}{path}",
            json=body,
            headers={**(self.stack.headers() if key else {}), **(headers or {})},
            allow_redirects=False,
            timeout=60,
        )
        self.statuses[response.status_code] += 1
        problem = rule_broken(response)
        if problem:
            self.broken.append(f"{method} {path}: {problem}")
        return response


def rule_broken(response: requests.Response) -> str | None:
    status = response.status_code
    if status >= 500 and status != 503:
        return f"{status} {response.text[:200]}"
    if status < 400 or not response.content:
        return None
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"{status} not in Snip's error shape: {response.text[:200]}"
    if status == 503 and (
        error.get("code") != "service_unavailable" or "Retry-After" not in response.headers
    ):
        return f"503 without service_unavailable and Retry-After: {response.text[:200]}"
    return None
