"""The `snip` command against a running stack: every command, its output, its JSON and its exit codes;
the stack found on its own (API and DynamoDB ports alike)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import struct
import subprocess
import time
from pathlib import Path
from typing import Any

import requests

from snip.settings import DEFAULT_TABLES, Env
from snip_local import cli
from tests.e2e.stacks import REPO, Stack, snip_command
from tests.e2e.test_restart_keeps_state import keys_create

CLIENT_SETTINGS = (
    "SNIP_API_URL",
    "SNIP_API_KEY",
    "SNIP_API_KEYS",
    "SNIP_STACK",
    "PORT",
    "SNIP_DYNAMODB_PORT",
    "SNIP_DYNAMODB_URL",
)


LINKS_TABLE = DEFAULT_TABLES[Env.LINKS_TABLE]  # the local stack creates the tables under the default names


def shell_env(**more: str) -> dict[str, str]:
    """Another terminal's environment: none of the stack's settings, unless given."""
    return {**{k: v for k, v in os.environ.items() if k not in CLIENT_SETTINGS}, **more}


def run(*args: str, cwd: Path = REPO, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*snip_command(), *args], cwd=cwd, env=shell_env(**env), capture_output=True, text=True, timeout=60
    )


def snip(stack: Stack, *args: str, key: str = "local-dev-key") -> subprocess.CompletedProcess[str]:
    return run(*args, SNIP_API_URL=stack.base_url, SNIP_API_KEY=key)


def snip_json(stack: Stack, *args: str) -> Any:
    done = snip(stack, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


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


def test_shorten_with_every_field_then_update_each(stack: Stack) -> None:
    alias = unique("cli")
    made = snip_json(
        stack,
        "shorten",
        "https://example.com/every",
        "--alias",
        alias,
        "--tags",
        "Launch,news",
        "--expires-at",
        "2031-01-01T05:30:00+05:30",
        "--max-visits",
        "7",
        "--redirect-status",
        "307",
    )
    assert made["key"] == alias
    assert (made["tags"], made["expires_at"], made["max_visits"], made["redirect_status"]) == (
        ["launch", "news"],
        "2031-01-01T00:00:00Z",
        7,
        307,
    )
    changed = snip_json(
        stack,
        "update",
        alias,
        "--url",
        "https://example.com/moved",
        "--tags",
        "",
        "--disable",
        "--max-visits",
        "none",
    )
    assert (changed["url"], changed["tags"], changed["disabled"], changed["max_visits"]) == (
        "https://example.com/moved",
        [],
        True,
        None,
    )
    assert requests.get(f"{stack.base_url}/{alias}", allow_redirects=False, timeout=10).status_code == 410
    again = snip_json(
        stack, "update", made["short_url"], "--enable", "--expires-at", "none", "--redirect-status", "302"
    )
    assert (again["disabled"], again["expires_at"], again["redirect_status"]) == (False, None, 302)
    assert snip_json(stack, "get", alias) == {**again}
    assert snip_json(stack, "delete", alias) == {"key": alias, "deleted": True}


def test_list_follows_every_page_of_a_tag(stack: Stack) -> None:
    tag = unique("cl").lower()
    keys = [
        snip_json(stack, "shorten", f"https://example.com/list/{n}", "--tags", tag)["key"] for n in range(3)
    ]
    snip_json(stack, "shorten", "https://example.com/list/untagged")
    deadline = time.monotonic() + 10  # a new link is listed within 2 s
    while True:
        everything = snip_json(stack, "list", "--tag", tag, "--limit", "1", "--all")
        if len(everything["links"]) == 3 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    listed = [link["key"] for link in everything["links"]]
    assert sorted(listed) == sorted(
        keys
    )  # every page, each link once (newest first: one second apart at best)
    assert everything["next_cursor"] is None
    created = [link["created_at"] for link in everything["links"]]
    assert created == sorted(created, reverse=True)
    first = snip(stack, "list", "--tag", tag, "--limit", "2")
    assert first.returncode == 0
    lines = first.stdout.splitlines()
    assert lines[0].split()[0] == "KEY"
    assert [line.split()[0] for line in lines[1:]] == listed[:2]
    assert "snip list --all, or --cursor " in first.stderr
    table = snip(stack, "list", "--tag", tag, "--all").stdout.splitlines()
    assert [line.split()[:3] for line in table[1:]] == [[key, "active", "0"] for key in listed]
    by_key = {link["key"]: link["url"] for link in everything["links"]}
    assert all(line.endswith(f"  {tag}  {by_key[line.split()[0]]}") for line in table[1:])


def test_stats_count_the_visits_in_utc_buckets_whatever_the_offset(stack: Stack) -> None:
    key = snip_json(stack, "shorten", "https://example.com/stats")["key"]
    for _ in range(3):
        assert (
            requests.get(f"{stack.base_url}/{key}?qr=1", allow_redirects=False, timeout=10).status_code == 302
        )
    now = time.time()
    start = time.strftime("%Y-%m-%dT%H:%M:%S+05:30", time.gmtime(now - 3600 + 5.5 * 3600))
    end = time.strftime("%Y-%m-%dT%H:%M:%S-07:00", time.gmtime(now + 600 - 7 * 3600))
    deadline = time.monotonic() + 20  # counted within 5 s locally
    while True:
        stats = snip_json(stack, "stats", key, "--from", start, "--to", end, "--interval", "hour")
        if stats["total"]["visits"] == 3 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert stats["total"] == {"visits": 3, "bot_visits": 0}
    assert stats["interval"] == "hour"
    assert all(bucket["start"].endswith(":00:00Z") for bucket in stats["series"])
    text = snip(stack, "stats", key, "--from", start, "--to", end, "--interval", "hour")
    assert text.returncode == 0, text.stderr
    assert "visits 3, bot visits 0" in text.stdout
    assert "sources: qr 3" in text.stdout
    refused = snip(stack, "stats", key, "--from", end, "--to", start)
    assert refused.returncode == 1
    assert "(400 invalid_range)" in refused.stderr


def test_qr_writes_png_and_svg_files(stack: Stack, tmp_path: Path) -> None:
    key = snip_json(stack, "shorten", "https://example.com/qr")["key"]
    png = tmp_path / "code.png"
    done = snip(stack, "qr", key, "-o", str(png), "--size", "256")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {png} (image/png, ")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert width == height
    svg = tmp_path / "code.svg"
    described = snip_json(stack, "qr", key, "-o", str(svg))
    assert described["media_type"].startswith("image/svg+xml")
    assert "<svg" in svg.read_text()
    assert described["bytes"] == svg.stat().st_size
    piped = snip(stack, "qr", key)  # no -o: the SVG on standard output
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == svg.read_text()


def test_refusals_print_the_apis_message_once_and_exit_non_zero(stack: Stack) -> None:
    invalid = snip(stack, "shorten", "not a url")
    assert invalid.returncode == 1
    said = requests.post(
        f"{stack.base_url}/links", json={"url": "not a url"}, headers=stack.headers(), timeout=10
    ).json()["error"]
    assert invalid.stderr == f"snip: {said['message']} (400 invalid_url)\n"
    assert not said["message"].startswith("url: url")
    bad_tags = snip(stack, "shorten", "https://example.com/", "--tags", "a,A")
    assert bad_tags.returncode == 1
    assert "snip: tags must be distinct" in bad_tags.stderr
    forbidden = snip(stack, "get", "abc", key="wrong")
    assert forbidden.returncode == 1
    assert forbidden.stderr == "snip: Forbidden (403)\n"
    missing = snip(stack, "update", "nosuchkey", "--disable")
    assert missing.returncode == 3
    assert "(404 link_not_found)" in missing.stderr
    unreachable = run("get", "abc", "--api-url", "http://127.0.0.1:9")
    assert unreachable.returncode == 4


def port_of(url: str) -> str:
    return url.rsplit(":", 1)[1]


def test_the_client_and_snip_keys_find_the_stack_on_its_own(stack: Stack, tmp_path: Path) -> None:
    """No URL, no DynamoDB port: the stack's record (in the repository, or copied here) says both."""
    record = REPO / ".snip" / f"local-{port_of(stack.base_url)}.json"
    assert json.loads(record.read_text())["dynamodb_url"] == stack.aws_url
    (tmp_path / ".snip").mkdir()
    shutil.copy(record, tmp_path / ".snip" / record.name)
    (tmp_path / "sub").mkdir()
    made = run("keys", "create", "cli-found", "--json", cwd=tmp_path / "sub")
    assert made.returncode == 0, made.stderr
    secret = json.loads(made.stdout)["secret"]
    shortened = run(
        "shorten", "https://example.com/found", "--json", cwd=tmp_path / "sub", SNIP_API_KEY=secret
    )
    assert shortened.returncode == 0, shortened.stderr
    assert json.loads(shortened.stdout)["short_url"].startswith(stack.base_url + "/")
    # In the repository, beside other stacks' records: PORT names the one meant.
    listed = run("keys", "list", PORT=port_of(stack.base_url))
    assert listed.returncode == 0, listed.stderr
    assert any(line.split()[1:2] == ["cli-found"] for line in listed.stdout.splitlines())


def test_snip_keys_without_a_running_stack_says_so(tmp_path: Path) -> None:
    lost = run("keys", "list", cwd=tmp_path)
    assert lost.returncode == 1
    assert "no running local stack" in lost.stderr
    assert "8000" not in lost.stderr


def test_title_and_notes_are_set_shown_and_cleared(stack: Stack) -> None:
    made = snip(
        stack, "shorten", "https://example.com/titled", "--title", "Launch", "--notes", "line 1\nline 2"
    )
    assert made.returncode == 0, made.stderr
    assert "  title            Launch" in made.stdout
    key = made.stdout.splitlines()[0].rsplit("/", 1)[1]
    changed = snip_json(stack, "update", key, "--title", "Relaunch", "--notes", "")
    assert (changed["title"], changed["notes"]) == ("Relaunch", None)
    cleared = snip_json(stack, "update", key, "--title", "")
    assert cleared["title"] is None
    refused = snip(stack, "update", key, "--title", "a\tb")
    assert refused.returncode == 1
    assert "(400 invalid_title)" in refused.stderr


def test_list_searches_and_orders(stack: Stack) -> None:
    tag = unique("sq").lower()
    keys = []
    for n in range(2):
        keys.append(
            snip_json(stack, "shorten", f"https://example.com/{tag}/{n}", "--title", f"Find Me {n}")["key"]
        )
        time.sleep(1.05 - time.time() % 1)  # created_at has whole seconds: the next link, the next second
    deadline = time.monotonic() + 10  # listed within 2 s
    while True:
        found = snip_json(stack, "list", "--q", tag.upper(), "--order", "oldest", "--all")["links"]
        if len(found) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [link["key"] for link in found] == keys  # oldest first
    newest = snip_json(stack, "list", "--q", tag, "--all")["links"]
    assert [link["key"] for link in newest] == keys[::-1]
    by_title = snip_json(stack, "list", "--q", "find me 1", "--all")["links"]
    assert keys[1] in [link["key"] for link in by_title]


def test_links_whose_key_is_an_api_route_are_pointed_out(stack: Stack) -> None:
    """A link made before its key became a route word (written straight into the table here, as no
    create accepts such a key now) keeps redirecting; snip points it out and will not manage it."""
    secret = keys_create(stack, unique("shadowed"))
    source = unique("shadow-src")  # lower case: every copy of the key in the item is replaced
    assert (
        snip(stack, "shorten", "https://example.com/shadowed", "--alias", source, key=secret).returncode == 0
    )
    table = stack.dynamodb()
    item = table.get_item(TableName=LINKS_TABLE, Key={"key": {"S": source}}, ConsistentRead=True)["Item"]
    words = sorted(cli.shadowed_keys())
    for word in words:
        copy = {
            name: {"S": value["S"].replace(source, word)} if "S" in value else value
            for name, value in item.items()
        }
        table.put_item(TableName=LINKS_TABLE, Item=copy)
        reply = requests.get(f"{stack.base_url}/{word}", allow_redirects=False, timeout=10)
        assert (reply.status_code, reply.headers["Location"]) == (302, "https://example.com/shadowed")
    listed = snip(stack, "list", "--all", key=secret)
    assert listed.returncode == 0, listed.stderr
    assert {line.split()[0] for line in listed.stdout.splitlines()[1:]} == {source, *words}
    note, _, why = listed.stderr.partition(": the key is also an API route")
    assert why, listed.stderr
    assert sorted(note.removeprefix("note: ").split(", ")) == words  # in the listing's order
    shadowed = json.loads(snip(stack, "list", "--shadowed", "--json", key=secret).stdout)
    assert [link["key"] for link in shadowed["links"]] == words
    refused = snip(stack, "get", words[0], key=secret)
    assert refused.returncode == 2
    assert f"/links/{words[0]} is the API's own route" in refused.stderr
