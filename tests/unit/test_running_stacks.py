"""How `snip` picks the API it calls, and how a running local stack is found."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from snip_local import api_keys_cli, cli, running


@pytest.fixture
def no_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("SNIP_API_URL", "SNIP_STACK", "PORT", "SNIP_DYNAMODB_PORT", "SNIP_DYNAMODB_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def choice(*argv: str) -> tuple[str, str]:
    return cli.api_url_of(cli.parser().parse_args(["get", "abc", *argv]))


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_without_a_running_stack_the_default_is_named_as_such(no_settings: Path) -> None:
    url, source = choice()
    assert url == "http://127.0.0.1:8080"
    assert "no running one" in source


def test_a_stack_recorded_in_a_folder_above_is_found(no_settings: Path) -> None:
    record = running.announce(no_settings, 18123, "http://127.0.0.1:18123", "http://127.0.0.1:18124")
    assert record is not None
    nested = no_settings / "docs" / "deeper"
    nested.mkdir(parents=True)
    os.chdir(nested)
    url, source = choice()
    assert url == "http://127.0.0.1:18123"
    assert str(record) in source
    running.withdraw(record)
    assert not record.exists()
    assert choice()[0] == "http://127.0.0.1:8080"


def test_a_record_whose_process_is_gone_is_ignored_and_removed(no_settings: Path) -> None:
    folder = no_settings / running.FOLDER
    folder.mkdir()
    stale = folder / "local-18124.json"
    stale.write_text(json.dumps({"api_url": "http://127.0.0.1:18124", "pid": dead_pid()}))
    assert choice()[0] == "http://127.0.0.1:8080"
    assert not stale.exists()


def test_explicit_settings_come_first(no_settings: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    running.announce(no_settings, 18125, "http://127.0.0.1:18125", "http://127.0.0.1:18127")
    monkeypatch.setenv("PORT", "18126")
    assert choice() == ("http://127.0.0.1:18126", "the local stack on PORT")
    monkeypatch.setenv("SNIP_API_URL", "https://sho.rt")
    assert choice() == ("https://sho.rt", "from SNIP_API_URL")
    assert choice("--api-url", "https://x.example")[0] == "https://x.example"


def test_an_unreachable_api_is_named_with_how_to_set_another(
    no_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["get", "abc", "--api-url", "http://127.0.0.1:9"]) == cli.UNAVAILABLE
    err = capsys.readouterr().err
    assert "http://127.0.0.1:9 (from --api-url)" in err
    assert "make run" in err
    assert "SNIP_API_URL" in err


# -- `snip keys` finds the stack's DynamoDB endpoint the same way ------------------------------------
def keys_endpoint() -> str:
    return api_keys_cli.local_dynamodb_url()


def test_keys_use_the_dynamodb_endpoint_the_stack_recorded(no_settings: Path) -> None:
    running.announce(no_settings, 19501, "http://127.0.0.1:19501", "http://127.0.0.1:19502")
    nested = no_settings / "sub"
    nested.mkdir()
    os.chdir(nested)
    assert keys_endpoint() == "http://127.0.0.1:19502"


def test_keys_pick_the_stack_on_port_when_several_run(
    no_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running.announce(no_settings, 19503, "http://127.0.0.1:19503", "http://127.0.0.1:19504")
    running.announce(no_settings, 19505, "http://127.0.0.1:19505", "http://127.0.0.1:19506")
    monkeypatch.setenv("PORT", "19503")
    assert keys_endpoint() == "http://127.0.0.1:19504"
    monkeypatch.setenv("SNIP_DYNAMODB_PORT", "19507")
    assert keys_endpoint() == "http://127.0.0.1:19507"
    monkeypatch.setenv("SNIP_DYNAMODB_URL", "http://127.0.0.1:19508")
    assert keys_endpoint() == "http://127.0.0.1:19508"


def test_keys_without_a_running_stack_guess_no_port(no_settings: Path) -> None:
    with pytest.raises(api_keys_cli.ApiKeysError, match="no running local stack") as refused:
        keys_endpoint()
    assert "8000" not in str(refused.value)
    assert api_keys_cli.main(["list"]) == api_keys_cli.FAILED


def test_keys_name_a_record_without_the_endpoint(no_settings: Path) -> None:
    folder = no_settings / running.FOLDER
    folder.mkdir()
    (folder / "local-19509.json").write_text(
        json.dumps({"api_url": "http://127.0.0.1:19509", "pid": os.getpid()})
    )
    with pytest.raises(api_keys_cli.ApiKeysError, match="restart that stack"):
        keys_endpoint()
