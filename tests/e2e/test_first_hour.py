"""What a new user meets after `make run`: the banner's `snip` line works as printed, the client
finds the running stack by itself, and a busy port is named with the setting that moves it."""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
from pathlib import Path

import pytest

from tests.e2e.stacks import REPO, Stack, free_port, launch, snip_command, stop

CLIENT_SETTINGS = ("SNIP_API_URL", "SNIP_API_KEY", "SNIP_API_KEYS", "PORT", "SNIP_DYNAMODB_PORT")


def shell_env() -> dict[str, str]:
    """Another terminal's environment: none of the stack's settings."""
    return {k: v for k, v in os.environ.items() if k not in CLIENT_SETTINGS}


def test_the_running_stack_records_its_url_for_the_client(stack: Stack) -> None:
    port = stack.base_url.rsplit(":", 1)[1]
    record = json.loads((REPO / ".snip" / f"local-{port}.json").read_text())
    assert record == {"api_url": stack.base_url, "dynamodb_url": stack.aws_url, "pid": stack.process.pid}


def test_the_client_finds_the_running_stack_from_a_subfolder(stack: Stack, tmp_path: Path) -> None:
    (tmp_path / ".snip").mkdir()
    (tmp_path / ".snip" / "local-1.json").write_text(
        json.dumps({"api_url": stack.base_url, "pid": stack.process.pid})
    )
    (tmp_path / "sub").mkdir()
    made = subprocess.run(
        [*snip_command(), "shorten", "https://example.com/found"],
        cwd=tmp_path / "sub",
        env=shell_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(stack.base_url + "/")


def test_the_banner_snip_line_works_as_printed_and_the_record_goes_at_stop(tmp_path: Path) -> None:
    own = launch(tmp_path, "first-hour", SNIP_API_KEYS="local:local-dev-key", SNIP_KEYGEN_INTERVAL="3600")
    port = own.base_url.rsplit(":", 1)[1]
    record = REPO / ".snip" / f"local-{port}.json"
    try:
        lines = [line.strip() for line in own.log().splitlines()]
        (line,) = [entry for entry in lines if entry.endswith("snip shorten https://example.com/")]
        # No PORT, no URL: the client finds the newest running stack recorded in the repository.
        made = subprocess.run(
            shlex.split(line), cwd=REPO, env=shell_env(), capture_output=True, text=True, timeout=60
        )
        assert made.returncode == 0, made.stderr
        assert made.stdout.startswith(own.base_url + "/")
        assert record.exists()
    finally:
        assert stop(own) == 0, own.log()[-3000:]
    assert not record.exists()


@pytest.mark.parametrize(("setting", "what"), [("PORT", "the API"), ("SNIP_DYNAMODB_PORT", "DynamoDB")])
def test_a_port_in_use_is_named_with_its_setting(tmp_path: Path, setting: str, what: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **os.environ,
            "PORT": str(free_port()),
            "SNIP_DYNAMODB_PORT": str(free_port()),
            setting: str(port),
        }
        result = subprocess.run(
            [*snip_command(), "serve"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
    assert result.returncode == 1
    assert f"port {port} ({setting}, {what}) is in use" in result.stderr
    assert f"{setting}={port + 1} make run" in result.stderr


@pytest.mark.parametrize("doc", ["README.md"])
def test_the_readme_spells_the_snip_command_out(doc: str) -> None:
    text = (REPO / doc).read_text()
    assert ".venv/bin/snip shorten" in text
