"""The `snip` command against a running stack: output and exit codes."""

from __future__ import annotations

import os
import subprocess

from tests.e2e.stacks import Stack, snip_command


def snip(stack: Stack, *args: str, key: str = "local-dev-key") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SNIP_API_URL": stack.base_url, "SNIP_API_KEY": key}
    return subprocess.run([*snip_command(), *args], env=env, capture_output=True, text=True, timeout=60)


def test_shorten_get_delete(stack: Stack) -> None:
    made = snip(stack, "shorten", "https://example.com/cli", "--max-visits", "3", "--redirect-status", "301")
    assert made.returncode == 0, made.stderr
    short_url = made.stdout.splitlines()[0]
    assert short_url.startswith(stack.base_url + "/")
    assert "max_visits       3" in made.stdout
    got = snip(stack, "get", short_url)  # a short URL works as well as a key
    assert got.returncode == 0
    assert "https://example.com/cli" in got.stdout
    key = short_url.rsplit("/", 1)[1]
    assert snip(stack, "delete", key).returncode == 0
    gone = snip(stack, "get", key)
    assert gone.returncode == 3
    assert "404" in gone.stderr


def test_exit_codes_for_refusals(stack: Stack) -> None:
    invalid = snip(stack, "shorten", "not a url")
    assert invalid.returncode == 1
    assert "invalid_url" in invalid.stderr
    forbidden = snip(stack, "get", "abc", key="wrong")
    assert forbidden.returncode == 1
    assert "Forbidden" in forbidden.stderr
    unreachable = subprocess.run(
        [*snip_command(), "get", "abc", "--api-url", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unreachable.returncode == 4
