"""``snip import`` and ``snip export`` against a running stack: the exports of Bitly, Shlink, YOURLS
and Snip itself come in with their keys where free, a re-run creates nothing, a row that fails is
named by its line and fails the command, and an export goes into another owner whole.

Each test imports as owners of its own (``snip keys create``): their links are theirs to count.
Keys are global, so each fixture file (tests/fixtures/link_exports/) is imported by one test only.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.stacks import Stack
from tests.e2e.test_cli import snip, unique
from tests.e2e.test_restart_keeps_state import keys_create

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "link_exports"


def owner(stack: Stack, name: str) -> str:
    """A new owner's API key."""
    return keys_create(stack, f"{name}-{secrets.token_hex(3)}")


def snip_import(stack: Stack, key: str, path: Path | str, *more: str) -> tuple[int, dict[str, Any]]:
    done = snip(stack, "import", str(path), *more, "--json", key=key)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


def rows_by_line(report: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {row["line"]: row for row in report["rows"]}


COUNTS = ("visits", "bot_visits", "last_visit_at")  # the visits the tests make move these


def links_of(stack: Stack, key: str) -> dict[str, dict[str, Any]]:
    """The owner's links, as listed, without their visit counts."""
    done = snip(stack, "list", "--all", "--limit", "100", "--json", key=key)
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)["links"]
    return {link["key"]: {k: v for k, v in link.items() if k not in COUNTS} for link in listed}


def visits(stack: Stack, key: str, link_key: str) -> int:
    done = snip(stack, "get", link_key, "--json", key=key)
    assert done.returncode == 0, done.stderr
    return int(json.loads(done.stdout)["visits"])


def redirect_status(stack: Stack, key: str) -> int:
    return requests.get(f"{stack.base_url}/{key}", allow_redirects=False, timeout=10).status_code


def test_keys_kept_expired_disabled_and_a_re_run_creates_nothing(stack: Stack, tmp_path: Path) -> None:
    tag = unique("imp")
    file = tmp_path / "links.csv"
    file.write_text(
        "key,url,tags,expires_at\r\n"
        f"{tag}-a,https://example.com/imp/{tag}/a,Import {tag},\r\n"
        f"{tag}-b,https://example.com/imp/{tag}/b,,2020-01-01T00:00:00Z\r\n"
        f"ab,https://example.com/imp/{tag}/short,,\r\n"
    )
    mine = owner(stack, "importer")
    code, report = snip_import(stack, mine, file)
    assert code == 0, report
    rows = rows_by_line(report)
    assert (rows[2]["status"], rows[2]["key"]) == ("created", f"{tag}-a")
    assert (rows[3]["status"], rows[3]["key"]) == ("created", f"{tag}-b")
    assert rows[4]["status"] == "new key"
    assert "new key for 'ab'" in rows[4]["message"]
    links = links_of(stack, mine)
    assert set(links) == {f"{tag}-a", f"{tag}-b", rows[4]["key"]}
    assert links[f"{tag}-a"]["tags"] == ["import", tag]
    assert links[f"{tag}-b"]["disabled"] is True
    assert links[f"{tag}-b"]["expires_at"] is None
    assert redirect_status(stack, f"{tag}-a") == 302
    assert redirect_status(stack, f"{tag}-b") == 410

    again = snip(stack, "import", str(file), key=mine)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1].endswith("3 rows, 0 created, 0 new key, 3 imported before, 0 failed")
    assert links_of(stack, mine) == links

    other = owner(stack, "importer-2")  # the keys are the first owner's now
    code, report = snip_import(stack, other, file)
    assert code == 0, report
    assert [row["status"] for row in report["rows"]] == ["new key"] * 3
    assert not set(links_of(stack, other)) & set(links)


def test_a_failing_row_is_named_by_its_line_and_fails_the_command(stack: Stack, tmp_path: Path) -> None:
    tag = unique("bad")
    file = tmp_path / "mixed.csv"
    file.write_text(
        "key,url,max_visits\n"
        f"{tag}-ok,https://example.com/{tag}/ok,\n"
        f"{tag}-ftp,ftp://example.com/{tag},\n"
        f"{tag}-many,https://example.com/{tag}/many,lots\n"
    )
    mine = owner(stack, "failing")
    done = snip(stack, "import", str(file), key=mine)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("line 3: failed: ")
    assert lines[0].endswith("(400 invalid_url)")
    assert lines[1] == "line 4: failed: max_visits is 'lots', not a whole number"
    assert lines[-1].endswith("3 rows, 1 created, 0 new key, 0 imported before, 2 failed")
    assert set(links_of(stack, mine)) == {f"{tag}-ok"}


def test_bitly_shlink_and_yourls_exports_come_in_once(stack: Stack) -> None:
    mine = owner(stack, "migrant")
    expected = {
        "bitly.csv": {2: "spring-launch-24", 3: "qa-office-hours", 4: None, 5: "3Xk9QzL"},
        "shlink.csv": {2: "docs-home", 3: "rel-notes-6", 4: "Ab3"},
        "yourls.csv": {2: None, 3: "promo-summer", 4: None},  # "1" is too short, "summary" reserved
    }
    for name, keys in expected.items():
        code, report = snip_import(stack, mine, FIXTURES / name)
        assert code == 0, report
        assert report["format"] == name.removesuffix(".csv")
        for line, row in rows_by_line(report).items():
            assert row["status"] == ("created" if keys[line] else "new key"), row
            if keys[line]:
                assert row["key"] == keys[line]
    links = links_of(stack, mine)
    assert len(links) == 10
    assert links["spring-launch-24"]["title"] == "Spring launch: landing page"
    assert links["spring-launch-24"]["tags"] == ["marketing", "spring", "2024"]
    assert links["qa-office-hours"]["title"] == 'Q&A "office hours" recording'
    assert links["rel-notes-6"]["tags"] == ["docs", "releases", "v6-0"]
    assert visits(stack, mine, "spring-launch-24") == 0  # the file's 1,204 clicks stay behind
    for name in expected:  # again: nothing new
        code, report = snip_import(stack, mine, FIXTURES / name)
        assert code == 0, report
        assert {row["status"] for row in report["rows"]} == {"imported before"}
    assert links_of(stack, mine) == links


def test_snips_own_export_brings_notes_rules_split_and_disabled(stack: Stack) -> None:
    mine = owner(stack, "restorer")
    code, report = snip_import(stack, mine, FIXTURES / "snip.csv")
    assert code == 0, report
    assert report["format"] == "csv"
    links = links_of(stack, mine)
    launch = links["launch-2025"]
    assert launch["notes"] == 'Printed on the flyer.\nKeep it stable, "forever".'
    assert launch["rules"][0] == {"when": {"country": ["FR", "BE"]}, "url": "https://example.com/fr/launch"}
    assert (launch["redirect_status"], launch["forward_query"], launch["disabled"]) == (307, True, False)
    assert links["ab-test"]["split"][1] == {"url": "https://example.com/landing-b", "weight": 30}
    assert [links[k]["disabled"] for k in ("ab-test", "old-offer", "first-100")] == [True] * 3
    assert redirect_status(stack, "old-offer") == 410
    code, report = snip_import(stack, mine, FIXTURES / "snip.jsonl")  # the same links as JSON Lines
    assert code == 0, report
    assert {row["status"] for row in report["rows"]} == {"imported before"}
    assert links_of(stack, mine) == links


def test_snips_own_csv_brings_notes_and_disabled(stack: Stack, tmp_path: Path) -> None:
    """Snip's own columns without rules and split (tests/fixtures/link_exports/snip.csv has them)."""
    tag = unique("own")
    file = tmp_path / "own.csv"
    header = (
        "key,short_url,url,title,notes,tags,created_at,expires_at,max_visits,redirect_status,disabled,visits"
    )
    file.write_text(
        f"{header}\r\n"
        f'{tag}-on,x,https://example.com/{tag}/on,On,"two\r\nlines",a b,'
        "2025-01-01T00:00:00Z,,,307,false,5\r\n"
        f"{tag}-off,x,https://example.com/{tag}/off,,,,2025-01-01T00:00:00Z,,,302,true,0\r\n"
        f"{tag}-old,x,https://example.com/{tag}/old,,,,2024-01-01T00:00:00Z,2024-06-01T00:00:00Z,,302,false,0\r\n"
        f"{tag}-used,x,https://example.com/{tag}/used,,,,2025-01-01T00:00:00Z,,2,302,false,2\r\n"
    )
    mine = owner(stack, "own")
    code, report = snip_import(stack, mine, file, "--from", "csv")
    assert code == 0, report
    links = links_of(stack, mine)
    on = links[f"{tag}-on"]
    assert (on["title"], on["notes"], on["tags"], on["redirect_status"]) == (
        "On",
        "two\r\nlines",
        ["a", "b"],
        307,
    )
    assert visits(stack, mine, f"{tag}-on") == 0  # the file's 5 visits stay behind
    assert [links[f"{tag}-{k}"]["disabled"] for k in ("on", "off", "old", "used")] == [
        False,
        True,
        True,
        True,
    ]
    assert links[f"{tag}-used"]["max_visits"] == 2
    assert [redirect_status(stack, f"{tag}-{k}") for k in ("on", "off", "old")] == [307, 410, 410]
    assert (
        "came in disabled: it expired at 2024-06-01T00:00:00Z" in rows_by_line(report)[5]["message"]
    )  # notes of 2 lines


@pytest.mark.parametrize("export_format", ["csv", "jsonl"])
def test_an_export_goes_into_another_owner_whole(stack: Stack, tmp_path: Path, export_format: str) -> None:
    source, target = owner(stack, "leaving"), owner(stack, "arriving")
    tag = unique("rt")
    for n in range(3):
        made = snip(stack, "shorten", f"https://example.com/{tag}/{n}", "--tags", tag, "--title", f"T{n}",
                    "--notes", f"n{n}", "--json", key=source)  # fmt: skip
        assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)["key"]
    assert snip(stack, "update", key, "--disable", key=source).returncode == 0
    file = tmp_path / f"all.{export_format}"
    exported = snip(stack, "export", "-o", str(file), key=source)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == f"wrote {file} ({export_format}, 3 links)\n"
    code, report = snip_import(stack, target, file)
    assert code == 0, report
    assert report["format"] == export_format
    assert [row["status"] for row in report["rows"]] == ["new key"] * 3  # the keys are the source's
    before = links_of(stack, source)
    after = links_of(stack, target)
    fields = (
        "url",
        "title",
        "notes",
        "tags",
        "disabled",
        "redirect_status",
        "rules",
        "split",
        "forward_query",
    )
    assert sorted(tuple(link[f] for f in fields[:4]) for link in after.values()) == sorted(
        tuple(link[f] for f in fields[:4]) for link in before.values()
    )
    assert sorted(json.dumps([link.get(f) for f in fields]) for link in after.values()) == sorted(
        json.dumps([link.get(f) for f in fields]) for link in before.values()
    )
    again = snip(stack, "import", str(file), key=target)  # a re-run creates nothing
    assert again.returncode == 0, again.stderr
    assert links_of(stack, target) == after
