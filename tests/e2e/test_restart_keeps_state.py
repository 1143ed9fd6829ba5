"""The local stack keeps its tables across restarts (docs/local.md, "What it keeps across restarts").

Each test starts stacks on one data folder (``SNIP_EVENTS_DIR``) one after the other: a clean stop
(SIGINT) keeps everything; a ``kill -9`` loses at most the writes of the last save interval and
counts no visit twice; ``SNIP_FRESH`` (``make run FRESH=1``) starts empty.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests

from snip.settings import DEFAULT_TABLES, Env
from tests.e2e.stacks import REPO, Stack, launch, snip_command, stop
from tests.reliability.table_dumps import all_items

LINKS_TABLE = DEFAULT_TABLES[Env.LINKS_TABLE]
VISITS_TABLE = DEFAULT_TABLES[Env.VISITS_TABLE]
SAVE_INTERVAL = 1.0  # the default SNIP_SAVE_INTERVAL, which docs/local.md states
# What a kill -9 may lose, as docs/local.md states it: the writes of the last 2 s.
CRASH_WINDOW = 2.0
STACK_SETTINGS = {"SNIP_POOL_TARGET": "10", "SNIP_KEYGEN_INTERVAL": "3600", "SNIP_FUNCTION_LOGS": "off"}


def start(tmp_path: Path, name: str, **env: str) -> Stack:
    return launch(tmp_path, name, SNIP_EVENTS_DIR=str(tmp_path / "data"), **STACK_SETTINGS, **env)


def shorten(stack: Stack, body: dict[str, Any], secret: str | None = None) -> requests.Response:
    headers = {"x-api-key": secret} if secret else stack.headers()
    return requests.post(f"{stack.base_url}/links", json=body, headers=headers, timeout=30)


def visit(stack: Stack, key: str) -> None:
    assert requests.get(f"{stack.base_url}/{key}", allow_redirects=False, timeout=30).status_code == 302


def total(stack: Stack, key: str) -> int:
    response = requests.get(f"{stack.base_url}/links/{key}/stats", headers=stack.headers(), timeout=30)
    assert response.status_code == 200, response.text
    return int(response.json()["total"]["visits"])


def counted(stack: Stack, key: str, visits: int, within: float = 15.0) -> None:
    """Wait until the pipeline has counted ``visits`` of ``key``, then check it stays there."""
    deadline = time.monotonic() + within
    while total(stack, key) < visits and time.monotonic() < deadline:
        time.sleep(0.2)
    assert total(stack, key) == visits


def link_keys(stack: Stack) -> set[str]:
    return {item["key"]["S"] for item in all_items(stack.dynamodb(), LINKS_TABLE)}


def keys_create(stack: Stack, owner: str) -> str:
    """``snip keys create OWNER`` against the stack; returns the secret it prints once."""
    done = subprocess.run(
        [*snip_command(), "keys", "create", owner],
        cwd=REPO,
        env={**os.environ, "SNIP_DYNAMODB_URL": stack.aws_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = re.search(r"^secret\s+(\S+)$", done.stdout, re.M)
    assert found, done.stdout
    return found.group(1)


def test_a_restart_keeps_links_stats_api_keys_and_never_reissues_a_key(tmp_path: Path) -> None:
    first = start(tmp_path, "restart-1")
    try:
        made = shorten(first, {"url": "https://example.com/kept", "alias": "kept-alias"})
        assert made.status_code == 201, made.text
        generated = [shorten(first, {"url": f"https://example.com/g/{i}"}).json()["key"] for i in range(5)]
        for _ in range(3):
            visit(first, "kept-alias")
        counted(first, "kept-alias", 3)
        secret = keys_create(first, "bob")
        bobs = shorten(first, {"url": "https://example.com/bob"}, secret)
        assert bobs.status_code == 201, bobs.text
        before = link_keys(first)
    finally:
        assert stop(first) == 0, first.log()[-3000:]
    assert {"kept-alias", *generated, bobs.json()["key"]} <= before

    second = start(tmp_path, "restart-2")
    try:
        assert "restored the tables" in second.log()
        kept = requests.get(f"{second.base_url}/links/kept-alias", headers=second.headers(), timeout=30)
        assert kept.status_code == 200
        assert kept.json()["url"] == "https://example.com/kept"
        assert total(second, "kept-alias") == 3
        # bob's key, made with `snip keys create`, still works and still sees only bob's link
        listed = requests.get(f"{second.base_url}/links", headers={"x-api-key": secret}, timeout=30)
        assert listed.status_code == 200
        assert [link["key"] for link in listed.json()["links"]] == [bobs.json()["key"]]
        taken = shorten(second, {"url": "https://example.com/other", "alias": "kept-alias"}, secret)
        assert taken.status_code == 409
        assert taken.json()["error"]["code"] == "alias_taken"
        # more than the pool holds: keys from the restored pool, keygen's refills and the spot fallback
        after = [shorten(second, {"url": f"https://example.com/after/{i}"}) for i in range(25)]
        assert all(response.status_code == 201 for response in after)
        assert not {response.json()["key"] for response in after} & before
        for _ in range(2):
            visit(second, "kept-alias")
        counted(second, "kept-alias", 5)
    finally:
        assert stop(second) == 0, second.log()[-3000:]


def _kill_9(stack: Stack) -> None:
    """What a crash does: the stack and its workers killed outright, nothing saved at the end."""
    workers = stack.descendants()
    stack.process.send_signal(signal.SIGKILL)
    stack.process.wait()
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_kill_9_loses_at_most_the_save_window_and_counts_no_visit_twice(tmp_path: Path) -> None:
    first = start(tmp_path, "crash-1")
    made: list[tuple[float, str]] = []  # (when the 201 came back, key)
    answered = Counter[str]()  # redirects answered per key
    stopping = threading.Event()

    def traffic() -> None:
        session, i = requests.Session(), 0
        while not stopping.is_set():
            try:
                response = shorten(first, {"url": f"https://example.com/crash/{i}"})
                if response.status_code == 201:
                    key = response.json()["key"]
                    made.append((time.monotonic(), key))
                for _, key in made[-3:]:
                    if (
                        session.get(f"{first.base_url}/{key}", allow_redirects=False, timeout=5).status_code
                        == 302
                    ):
                        answered[key] += 1
            except requests.RequestException:
                return  # the stack is gone
            i += 1

    try:
        early = shorten(first, {"url": "https://example.com/early"}).json()["key"]
        for _ in range(4):
            visit(first, early)
        counted(first, early, 4)
        runner = threading.Thread(target=traffic)
        runner.start()
        time.sleep(6)  # links and visits written, counted and saved all along
    finally:
        killed_at = time.monotonic()
        _kill_9(first)
        stopping.set()
    runner.join(timeout=10)
    assert len(made) > 10

    second = start(tmp_path, "crash-2")
    try:
        kept = link_keys(second)
        lost = [(at, key) for at, key in made if key not in kept]
        # everything answered before the window is there; only the last writes may be gone
        assert all(at > killed_at - CRASH_WINDOW for at, _ in lost), (killed_at, lost)
        assert total(second, early) == 4
        # every visit event that survived is counted exactly once (none twice, none dropped), once
        # the aggregator has been handed the stream from its saved position
        events = Counter(
            item["key"]["S"] for item in all_items(second.dynamodb(), VISITS_TABLE) if not item["bot"]["BOOL"]
        )
        assert events[early] == 4
        for key, visits in events.items():
            counted(second, key, visits)
            assert visits <= answered[key] or key == early
        time.sleep(2)  # a redelivery that counted again would show by now
        assert {key: total(second, key) for key in events} == dict(events)
    finally:
        assert stop(second) == 0, second.log()[-3000:]


def test_events_not_counted_at_the_stop_are_counted_once_after_the_restart(tmp_path: Path) -> None:
    first = start(tmp_path, "stalled-1")
    try:
        key = shorten(first, {"url": "https://example.com/stalled"}).json()["key"]
        visit(first, key)
        counted(first, key, 1)
        # the aggregator's writes (plain updates of the rollups table) fail from now on: visits are
        # written but not counted
        requests.post(
            f"{first.aws_url}/_snip/faults",
            json={"faults": "UpdateItem@snip-rollups:error=1"},
            timeout=10,
        ).raise_for_status()
        for _ in range(3):
            visit(first, key)
        time.sleep(2)
        assert total(first, key) == 1
    finally:
        assert stop(first) == 0, first.log()[-3000:]

    second = start(tmp_path, "stalled-2")  # no faults
    try:
        assert "3 visit events to hand the aggregator" in second.log()
        counted(second, key, 4)
        time.sleep(2)
        assert total(second, key) == 4
    finally:
        assert stop(second) == 0, second.log()[-3000:]


def test_fresh_starts_empty(tmp_path: Path) -> None:
    first = start(tmp_path, "fresh-1")
    try:
        assert shorten(first, {"url": "https://example.com/old", "alias": "old-alias"}).status_code == 201
        visit(first, "old-alias")
        counted(first, "old-alias", 1)
    finally:
        assert stop(first) == 0, first.log()[-3000:]
    assert list((tmp_path / "data" / "events").glob("dt=*/*.jsonl"))

    second = start(tmp_path, "fresh-2", SNIP_FRESH="on")
    try:
        assert (
            requests.get(
                f"{second.base_url}/links/old-alias", headers=second.headers(), timeout=30
            ).status_code
            == 404
        )
        assert link_keys(second) == set()
        assert not (tmp_path / "data" / "events").exists()
    finally:
        assert stop(second) == 0, second.log()[-3000:]


@pytest.mark.parametrize(("fresh", "setting"), [("1", "SNIP_FRESH=on "), ("0", "")])
def test_make_run_fresh_sets_snip_fresh(fresh: str, setting: str) -> None:
    dry = subprocess.run(
        ["make", "-n", "-o", ".venv/.run-installed", "run", f"FRESH={fresh}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert f"{setting}.venv/bin/snip serve" in dry.stdout.splitlines()
