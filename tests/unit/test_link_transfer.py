"""``snip import`` and ``snip export`` against a stand-in of the links API (snip_local.link_transfer
and the commands in snip_local.cli): keys kept, found again, or replaced; a re-run creates nothing;
chunks, idempotency keys, retries, PATCH for disabled; export pages joined into one file.

The stand-in keeps links per owner and answers as the contract says (aliases are global, another
owner's link is 404, an Idempotency-Key replays); tests/e2e/test_cli_import_export.py runs the
same commands against the local stack.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from snip.domain import clock
from snip_local import cli, link_transfer
from snip_local.link_import import ImportRow, derived_key
from tests.unit.test_snip_cli_arguments import API, answer_with, snip

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "link_exports"
DAY_1, DAY_2 = "Mon, 07 Dec 2026 12:00:00 GMT", "Tue, 08 Dec 2026 09:00:00 GMT"


@dataclass
class FakeLinksApi:
    owner_of_key: dict[str, str] = field(default_factory=lambda: {"local-dev-key": "local"})
    links: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> link (with "owner")
    replays: dict[str, Any] = field(default_factory=dict)
    sent: list[tuple[str, str, Any, dict[str, str]]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # statuses of the next batch answers
    item_503: set[str] = field(default_factory=set)  # urls whose item answers 503 once
    export_pages: list[bytes] = field(default_factory=list)
    clock: list[str] = field(default_factory=lambda: [DAY_1])  # the Date of each request in turn, the last
    # for every one after

    def __call__(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        headers, body, params = kwargs["headers"], kwargs.get("json"), kwargs["params"]
        self.sent.append((method, urlsplit(url).path, body, dict(headers)))
        response = self.serve(method, url, headers, body, params)
        response.headers["Date"] = self.clock[0]
        if len(self.clock) > 1:
            self.clock.pop(0)
        return response

    def serve(self, method: str, url: str, headers: Any, body: Any, params: Any) -> requests.Response:
        owner = self.owner_of_key[headers["x-api-key"]]
        path = urlsplit(url).path
        if method == "POST" and path == "/links/batch":
            if self.fail_next:
                return answer(
                    self.fail_next.pop(0), {"error": {"code": "unavailable", "message": "Try again."}}
                )
            replay_key = headers.get("Idempotency-Key")
            if replay_key in self.replays:
                return answer(200, self.replays[replay_key])
            results = {"results": [self.create(owner, item) for item in body["links"]]}
            if replay_key:
                self.replays[replay_key] = results
            return answer(200, results)
        if method == "GET" and path == "/links/export":
            index = int(params.get("cursor", 0))
            more = index + 1 < len(self.export_pages)
            link = f'<{API}/links/export?format={params["format"]}&cursor={index + 1}>; rel="next"'
            return answer(200, self.export_pages[index], {"Link": link} if more else {})
        if method == "GET" and path == "/links":
            return answer(200, {"links": [], "next_cursor": None})
        key = path.rpartition("/")[2]
        link = self.links.get(key)
        if link is None or link["owner"] != owner:
            return answer(404, {"error": {"code": "link_not_found", "message": "No link with this key."}})
        if method == "PATCH":
            link.update(body)
        return answer(200, view(link))

    def create(self, owner: str, item: dict[str, Any]) -> dict[str, Any]:
        if item["url"] in self.item_503:
            self.item_503.discard(item["url"])
            return {"status": 503, "error": {"code": "service_unavailable", "message": "Try again."}}
        if item["url"].startswith("ftp:"):
            return {"status": 400, "error": {"code": "invalid_url", "message": "url must be http or https."}}
        key = item.get("alias") or secrets.token_urlsafe(5)[:7]
        if key in self.links:
            return {
                "status": 409,
                "error": {"code": "alias_taken", "message": f"The alias '{key}' is taken."},
            }
        fields = {name: value for name, value in item.items() if name != "alias"}
        created_at = clock.format_ts(parsedate_to_datetime(self.clock[0]))
        made = {"key": key, "owner": owner, "created_at": created_at, "disabled": False}
        self.links[key] = {**made, **fields}
        return {"status": 201, "link": view(self.links[key])}

    def owned(self, owner: str = "local") -> dict[str, dict[str, Any]]:
        return {key: link for key, link in self.links.items() if link["owner"] == owner}

    def batches(self) -> list[tuple[Any, dict[str, str]]]:
        return [(body, headers) for method, path, body, headers in self.sent if path == "/links/batch"]


def view(link: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in link.items() if k != "owner"}, "short_url": f"{API}/{link['key']}"}


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response.headers.update(headers or {})
    return response


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeLinksApi:
    fake = FakeLinksApi()
    answer_with(monkeypatch, tmp_path, fake)
    monkeypatch.setattr(link_transfer.time, "sleep", lambda _: None)
    return fake


def import_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code, out, _err = snip(capsys, "import", *argv, "--json")
    return code, json.loads(out)


def test_a_bitly_export_comes_in_with_its_keys(api: FakeLinksApi, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = import_json(capsys, str(FIXTURES / "bitly.csv"))
    assert code == 0
    assert (report["format"], report["created"], report["new_key"], report["failed"]) == ("bitly", 3, 1, 0)
    rows = {row["line"]: row for row in report["rows"]}
    assert rows[2]["key"] == "spring-launch-24"
    assert api.owned()["spring-launch-24"]["title"] == "Spring launch: landing page"
    go = rows[4]  # bit.ly/go: too short to be an alias here
    assert go["status"] == "new key"
    assert go["key"] == derived_key(ImportRow(4, "go", {"url": "https://example.com/go"}))
    assert "new key for 'go'" in go["message"]
    assert not any("Clicks" in json.dumps(link) or "visits" in link for link in api.links.values())


def test_a_re_run_creates_nothing(api: FakeLinksApi, capsys: pytest.CaptureFixture[str]) -> None:
    """Later than the idempotency window: every key is looked up and found the owner's."""
    assert import_json(capsys, str(FIXTURES / "yourls.csv"))[0] == 0
    before = dict(api.links)
    api.replays.clear()  # 24 h later
    code, report = import_json(capsys, str(FIXTURES / "yourls.csv"))
    assert code == 0
    assert api.links == before
    assert (report["created"], report["new_key"], report["imported_before"]) == (0, 0, 3)
    assert {row["key"] for row in report["rows"]} == set(before)


def test_a_re_run_within_a_day_is_a_replay_and_says_so(
    api: FakeLinksApi, capsys: pytest.CaptureFixture[str]
) -> None:
    import_json(capsys, str(FIXTURES / "shlink.csv"))
    first = api.batches()[0][1]["Idempotency-Key"]
    api.links.clear()  # what the replay answers cannot come from the table
    api.clock = [DAY_2]
    code, report = import_json(capsys, str(FIXTURES / "shlink.csv"))
    assert code == 0
    assert api.batches()[-1][1]["Idempotency-Key"] == first  # the same chunk, the same key
    assert not api.links
    assert report["imported_before"] == 3


def test_an_import_begins_in_a_second_of_its_own(
    api: FakeLinksApi, capsys: pytest.CaptureFixture[str]
) -> None:
    """A first run's links made in the second the next run starts in still read as made before:
    the import waits for the API's clock to reach its next second before it creates anything."""
    assert import_json(capsys, str(FIXTURES / "yourls.csv"))[1]["created"] == 1  # two get new keys
    api.links.clear()  # the replays answer what the first run made, at 12:00:00
    api.clock = [DAY_1, DAY_1, DAY_1, "Mon, 07 Dec 2026 12:00:01 GMT"]
    probes = len([path for _, path, _, _ in api.sent if path == "/links"])
    report = import_json(capsys, str(FIXTURES / "yourls.csv"))[1]
    assert report["imported_before"] == 3
    assert len([path for _, path, _, _ in api.sent if path == "/links"]) - probes == 4
    api.clock = [DAY_1, "Mon, 07 Dec 2026 12:00:01 GMT"]
    api.replays.clear()
    api.links.clear()
    assert import_json(capsys, str(FIXTURES / "yourls.csv"))[1]["created"] == 1  # made at 12:00:01


def test_a_key_held_by_another_owner_or_for_another_url_gets_a_new_key(
    api: FakeLinksApi, capsys: pytest.CaptureFixture[str]
) -> None:
    api.links["docs-home"] = {"key": "docs-home", "owner": "someone", "url": "https://docs.example.org/"}
    api.links["rel-notes-6"] = {"key": "rel-notes-6", "owner": "local", "url": "https://example.org/else"}
    code, out, _ = snip(capsys, "import", str(FIXTURES / "shlink.csv"))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"line 2: new key {API}/")
    assert lines[0].endswith("new key for 'docs-home': that key is taken (by another link or owner)")
    assert lines[1].startswith("line 3: new key ")
    assert lines[-1].endswith("3 rows, 1 created, 2 new key, 0 imported before, 0 failed")
    assert len(api.owned()) == 4


def test_a_derived_key_taken_elsewhere_falls_back_to_a_generated_one(
    api: FakeLinksApi, capsys: pytest.CaptureFixture[str]
) -> None:
    row = ImportRow(2, "ab", {"url": "https://example.com/"})
    api.links[derived_key(row)] = {"key": derived_key(row), "owner": "someone", "url": "https://x.com/"}
    Path("in.csv").write_text("key,url\nab,https://example.com/\n")
    code, report = import_json(capsys, "in.csv")
    assert code == 0
    (result,) = report["rows"]
    assert result["status"] == "new key"
    assert result["key"] not in ("ab", derived_key(row))
    assert [len(body["links"]) for body, _ in api.batches()] == [1, 1]
    assert "alias" not in api.batches()[1][0]["links"][0]


def test_snips_own_export_is_patched_disabled_where_it_was(
    api: FakeLinksApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert import_json(capsys, str(FIXTURES / "snip.csv"))[0] == 0
    owned = api.owned()
    assert {key: link["disabled"] for key, link in owned.items()} == {
        "launch-2025": False,
        "ab-test": True,
        "old-offer": True,
        "first-100": True,
    }
    assert owned["launch-2025"]["rules"][0]["url"] == "https://example.com/fr/launch"
    assert owned["launch-2025"]["notes"].startswith("Printed on the flyer.\n")
    patched = [path for method, path, _, _ in api.sent if method == "PATCH"]
    assert sorted(patched) == ["/links/ab-test", "/links/first-100", "/links/old-offer"]
    # Again: nothing created, nothing patched (they are disabled already).
    api.replays.clear()
    api.sent.clear()
    assert import_json(capsys, str(FIXTURES / "snip.jsonl"))[1]["imported_before"] == 4
    assert not [method for method, *_ in api.sent if method == "PATCH"]


def test_failed_rows_are_reported_with_their_line_and_fail_the_command(
    api: FakeLinksApi, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("in.csv").write_text(
        "key,url,max_visits\nok-1,https://example.com/1,\nbad-1,ftp://example.com/,\nbad-2,https://e.com/,x\n"
    )
    code, out, _ = snip(capsys, "import", "in.csv")
    assert code == cli.REFUSED
    assert "line 3: failed: url must be http or https. (400 invalid_url)" in out
    assert "line 4: failed: max_visits is 'x', not a whole number" in out
    assert out.splitlines()[-1] == "in.csv (csv): 3 rows, 1 created, 0 new key, 0 imported before, 2 failed"
    assert list(api.owned()) == ["ok-1"]


def test_chunks_of_a_hundred_each_with_its_own_idempotency_key(
    api: FakeLinksApi, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("in.csv").write_text("url\n" + "".join(f"https://example.com/{n}\n" for n in range(250)))
    code, report = import_json(capsys, "in.csv")
    assert code == 0
    assert report["created"] == 250
    batches = api.batches()
    assert [len(body["links"]) for body, _ in batches] == [100, 100, 50]
    keys = [headers["Idempotency-Key"] for _, headers in batches]
    assert len(set(keys)) == 3
    assert keys == [link_transfer.idempotency_key(body) for body, _ in batches]


def test_a_chunk_the_api_could_not_take_is_sent_again_with_the_same_key(
    api: FakeLinksApi, capsys: pytest.CaptureFixture[str]
) -> None:
    api.fail_next = [503, 429]
    api.item_503 = {"https://store.example.net/summer"}
    code, report = import_json(capsys, str(FIXTURES / "yourls.csv"))
    assert code == 0
    assert report["failed"] == 0
    assert len(api.owned()) == 3
    keys = [headers["Idempotency-Key"] for _, headers in api.batches()]
    assert keys[0] == keys[1] == keys[2] != keys[3]  # two refusals, the answer, the 503 item again
    assert len(api.batches()[3][0]["links"]) == 1


def test_export_follows_every_page_into_one_csv(
    api: FakeLinksApi, capsys: pytest.CaptureFixture[str]
) -> None:
    header = b"key,short_url,url,title,notes\r\n"
    api.export_pages = [
        header + b'a,x/a,https://e.com/a,,"two\r\nlines"\r\n',
        header + b"b,x/b,https://e.com/b,B,\r\n",
        header + b"c,x/c,https://e.com/c,C,\r\n",
    ]
    code, out, _ = snip(capsys, "export", "-o", "all.csv")
    assert code == 0
    assert out == "wrote all.csv (csv, 3 links)\n"
    written = Path("all.csv").read_bytes()
    assert written.count(header) == 1
    assert [row[0] for row in csv.reader(io.StringIO(written.decode(), newline=""))] == ["key", "a", "b", "c"]
    asked = [(path, body) for method, path, body, _ in api.sent if path == "/links/export"]
    assert len(asked) == 3
    assert not Path("all.csv.part").exists()


def test_export_json_lines_to_standard_output(
    api: FakeLinksApi, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    api.export_pages = [b'{"key": "a"}\n{"key": "b"}\n', b'{"key": "c"}']
    assert cli.main(["export", "--format", "jsonl", "--api-url", API]) == 0
    assert capfdbinary.readouterr().out == b'{"key": "a"}\n{"key": "b"}\n{"key": "c"}\n'
