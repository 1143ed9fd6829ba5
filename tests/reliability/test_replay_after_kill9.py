"""issue 20.1 on the local stack, as the issue reproduces it: the claim is delayed
(``TransactWriteItems@snip-links:delay_ms=3000``), a POST /links with an Idempotency-Key is sent,
and the shorten worker handling it is killed (kill -9) while the claim is on its way. The local
endpoint still carries the claim out; retries get 409 ``request_in_progress`` until the dead
attempt's time (shorten's timeout) is up, then the link the dead attempt wrote, never a second.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import requests

from snip.settings import DEFAULT_TABLES, Env
from tests.e2e.stacks import Stack
from tests.reliability.http import fault_state, set_faults

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
URL = "https://example.com/killed-mid-create"
RETRY_FOR = 40.0  # seconds: shorten's timeout (10 s) and the delayed claim, with room to spare


def shorten_workers(stack: Stack) -> list[int]:
    """The pids of the stack's shorten execution environments (``snip_local.worker``)."""
    found = []
    for pid in stack.descendants():
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"snip_local.worker" in command and any(part.startswith(b"shorten_app.") for part in command):
            found.append(pid)
    return found


def links_to(stack: Stack, url: str) -> list[str]:
    items = stack.dynamodb().scan(TableName=LINKS)["Items"]
    return sorted(item["key"]["S"] for item in items if item.get("url", {}).get("S") == url)


def post(stack: Stack, url: str, idempotency_key: str) -> requests.Response:
    headers = {**stack.headers(), "Idempotency-Key": idempotency_key}
    return requests.post(f"{stack.base_url}/links", json={"url": url}, headers=headers, timeout=60)


def test_a_replay_after_kill_9_answers_the_link_the_dead_attempt_wrote(no_faults_after: Stack) -> None:
    stack = no_faults_after
    assert post(stack, f"{URL}/warm", "warm-up").status_code == 201  # a shorten worker, and a pool
    set_faults(stack, "TransactWriteItems@snip-links:delay_ms=3000")
    answers: list[requests.Response] = []
    first = threading.Thread(target=lambda: answers.append(post(stack, URL, "killed")))
    first.start()
    # Kill only once the claim is being held by the endpoint (a fixed sleep raced a loaded machine).
    deadline = time.monotonic() + 20
    while not any(
        name.startswith("TransactWriteItems") and name.endswith(":delay")
        for name in fault_state(stack)["injected"]
    ):
        assert time.monotonic() < deadline, "the claim never reached the endpoint"
        time.sleep(0.05)
    workers = shorten_workers(stack)
    assert workers
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    first.join(60)
    assert answers
    assert answers[0].status_code >= 500  # the client saw the crash
    set_faults(stack, "")
    deadline = time.monotonic() + 10
    while not links_to(stack, URL) and time.monotonic() < deadline:
        time.sleep(0.2)
    written = links_to(stack, URL)
    assert len(written) == 1  # the dead attempt's claim was carried out

    statuses: list[int] = []
    deadline = time.monotonic() + RETRY_FOR
    while time.monotonic() < deadline:
        reply = post(stack, URL, "killed")
        statuses.append(reply.status_code)
        if reply.status_code != 409:
            break
        assert reply.json()["error"]["code"] == "request_in_progress"
        time.sleep(0.5)
    assert reply.status_code == 201, (statuses, reply.text)
    assert [reply.json()["key"]] == written == links_to(stack, URL), statuses
    again = post(stack, URL, "killed")
    assert (again.status_code, again.json()["key"]) == (201, written[0])
