"""Ctrl-C stops everything `snip serve` started."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import requests

from tests.e2e.stacks import alive, launch, stop


def test_sigint_leaves_no_process_and_no_port(tmp_path: Path) -> None:
    stack = launch(tmp_path, "sigint")
    requests.post(
        f"{stack.base_url}/links", json={"url": "https://example.com/"}, headers=stack.headers(), timeout=30
    )
    requests.get(f"{stack.base_url}/__test__/probe", timeout=30)
    children = stack.descendants()
    assert len(children) >= 3  # keygen, shorten and probe environments at least
    assert stop(stack) == 0
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if alive(pid)]
    for url in (stack.base_url, stack.aws_url):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", int(url.rsplit(":", 1)[1]))) != 0
    assert "stopped" in stack.log()
