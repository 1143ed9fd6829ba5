"""`snip keys` against a running local stack, over HTTP: create, use, list, revoke, refused.

The command reaches the stack through its DynamoDB endpoint (as the deployed mode goes through
AWS); the gateway reads the registry on every request, so each change counts at once.
"""

from __future__ import annotations

import re
import subprocess
import sys

import requests

from tests.e2e.stacks import REPO, Stack


def keys(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "snip_local.api_keys_cli", "--dynamodb-url", stack.aws_url, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def created(stack: Stack, *args: str) -> dict[str, str]:
    done = keys(stack, "create", *args)
    assert done.returncode == 0, done.stderr
    return dict(re.findall(r"^(key_id|owner|scopes|name|secret)\s+(.+)$", done.stdout, re.M))


def test_keys_create_use_list_revoke_refused(stack: Stack) -> None:
    writer = created(stack, "carol", "--name", "laptop")
    reader = created(stack, "carol", "--scope", "links.read", "--name", "dashboard")
    assert writer["owner"] == reader["owner"] == "carol"
    assert writer["scopes"] == "links.read links.write"
    assert reader["scopes"] == "links.read"

    made = requests.post(
        f"{stack.base_url}/links",
        json={"url": "https://example.com/keys"},
        headers={"x-api-key": writer["secret"]},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    # The read-only key of the same owner sees the link, and may not write.
    seen = requests.get(f"{stack.base_url}/links/{key}", headers={"x-api-key": reader["secret"]}, timeout=30)
    assert seen.status_code == 200
    assert seen.json()["url"] == "https://example.com/keys"
    refused = requests.delete(
        f"{stack.base_url}/links/{key}", headers={"x-api-key": reader["secret"]}, timeout=30
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "insufficient_scope"
    # Another owner's key finds nothing.
    other = requests.get(f"{stack.base_url}/links/{key}", headers=stack.headers("other"), timeout=30)
    assert other.status_code == 404

    listed = keys(stack, "list")
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line.split() for line in listed.stdout.splitlines()[1:]}
    assert lines[writer["key_id"]][1:4] == ["carol", "links.read,links.write", "active"]
    assert lines[reader["key_id"]][1:4] == ["carol", "links.read", "active"]
    assert writer["secret"] not in listed.stdout  # printed once, by create, and never again

    revoked = keys(stack, "revoke", writer["key_id"])
    assert revoked.returncode == 0, revoked.stderr
    gone = requests.get(f"{stack.base_url}/links/{key}", headers={"x-api-key": writer["secret"]}, timeout=30)
    assert gone.status_code == 403
    assert gone.json() == {"message": "Forbidden"}
    still = requests.get(f"{stack.base_url}/links/{key}", headers={"x-api-key": reader["secret"]}, timeout=30)
    assert still.status_code == 200  # the owner's other key and its links are untouched
    listed = keys(stack, "list")
    assert re.search(rf"^{writer['key_id']}\s+carol\s+\S+\s+revoked\s", listed.stdout, re.M)


def test_seeded_keys_are_listed_and_unknown_keys_refused(stack: Stack) -> None:
    listed = keys(stack, "list")
    assert listed.returncode == 0, listed.stderr
    owners = {line.split()[1] for line in listed.stdout.splitlines()[1:]}
    assert {"local", "other"} <= owners
    assert "local-dev-key" not in listed.stdout
    assert keys(stack, "revoke", "lk-no-such-key").returncode == 1
    unknown = requests.get(f"{stack.base_url}/links/x", headers={"x-api-key": "nope"}, timeout=30)
    assert unknown.status_code == 403
    assert unknown.json() == {"message": "Forbidden"}
