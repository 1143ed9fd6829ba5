"""Helpers for the suites that drive the local stack over HTTP."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import requests

from tests.e2e.stacks import Stack


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
