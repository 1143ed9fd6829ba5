"""The `snip` command's argument handling: what each command asks the API, and what it prints.

The API is a stand-in for `requests.request` that records the request and answers what the test
says; tests/e2e/test_cli.py drives the same commands against a running local stack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from snip.data.api_keys_table import ApiKeyRecord
from snip.domain.short_keys import RESERVED_WORDS
from snip_local import api_client, api_keys_cli, cli

API = "http://127.0.0.1:19555"
LINK = {
    "key": "AbC1234",
    "short_url": f"{API}/AbC1234",
    "url": "https://example.com/a",
    "created_at": "2026-12-01T00:00:00Z",
    "expires_at": None,
    "max_visits": None,
    "redirect_status": 302,
    "tags": ["news"],
    "visits": 0,
    "bot_visits": 0,
    "last_visit_at": None,
    "disabled": False,
}


@dataclass
class Sent:
    method: str
    url: str
    body: Any
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass
class FakeApi:
    answers: list[tuple[int, Any]] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)

    def answer(self, status: int, body: Any = None) -> FakeApi:
        self.answers.append((status, body))
        return self

    def __call__(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.sent.append(Sent(method, url, kwargs.get("json"), kwargs["params"], kwargs["headers"]))
        status, body = self.answers.pop(0) if self.answers else (200, LINK)
        response = requests.Response()
        response.status_code = status
        if isinstance(body, bytes):
            response._content = body
            response.headers["Content-Type"] = "image/png"
        else:
            response._content = b"" if body is None else json.dumps(body).encode()
            response.headers["Content-Type"] = "application/json"
        return response


def answer_with(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fake: Any) -> None:
    """Requests go to ``fake``; no setting of the shell reaches the command; files land in tmp_path."""
    monkeypatch.setattr(api_client.requests, "request", fake)
    for name in ("SNIP_API_URL", "SNIP_API_KEY", "SNIP_STACK", "PORT", "SNIP_API_KEYS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeApi:
    fake = FakeApi()
    answer_with(monkeypatch, tmp_path, fake)
    return fake


def snip(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main([*argv, "--api-url", API])
    out, err = capsys.readouterr()
    return code, out, err


def test_shorten_sends_every_field_the_api_takes(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = snip(
        capsys,
        "shorten",
        "https://example.com/a",
        "--alias",
        "launch-day",
        "--tags",
        "News, launch",
        "--expires-at",
        "2030-01-01T00:00:00Z",
        "--max-visits",
        "5",
        "--redirect-status",
        "307",
        "--idempotency-key",
        "retry-1",
    )
    assert code == 0
    (sent,) = api.sent
    assert (sent.method, sent.url) == ("POST", f"{API}/links")
    assert sent.body == {
        "url": "https://example.com/a",
        "alias": "launch-day",
        "expires_at": "2030-01-01T00:00:00Z",
        "max_visits": 5,
        "redirect_status": 307,
        "tags": ["News", "launch"],
    }
    assert sent.headers == {"x-api-key": "local-dev-key", "Idempotency-Key": "retry-1"}
    assert out.splitlines()[0] == LINK["short_url"]
    assert "  tags             news" in out


def test_shorten_sends_only_what_was_given(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    snip(capsys, "shorten", "https://example.com/a")
    assert api.sent[0].body == {"url": "https://example.com/a"}
    assert "Idempotency-Key" not in api.sent[0].headers


@pytest.mark.parametrize(
    ("argv", "body"),
    [
        (["--disable"], {"disabled": True}),
        (["--enable"], {"disabled": False}),
        (["--url", "https://example.com/b"], {"url": "https://example.com/b"}),
        (["--tags", ""], {"tags": []}),
        (["--tags", "a b,c"], {"tags": ["a", "b", "c"]}),
        (["--max-visits", "none", "--expires-at", "none"], {"max_visits": None, "expires_at": None}),
        (["--max-visits", "10", "--redirect-status", "301"], {"max_visits": 10, "redirect_status": 301}),
        (["--expires-at", "2030-01-01T00:00:00+05:30"], {"expires_at": "2030-01-01T00:00:00+05:30"}),
    ],
)
def test_update_sends_what_changes_and_none_clears(
    api: FakeApi, capsys: pytest.CaptureFixture[str], argv: list[str], body: dict[str, Any]
) -> None:
    code, _, _ = snip(capsys, "update", f"{API}/AbC1234", *argv)  # a short URL works as well as a key
    assert code == 0
    (sent,) = api.sent
    assert (sent.method, sent.url, sent.body) == ("PATCH", f"{API}/links/AbC1234", body)


def test_shorten_sends_title_and_notes(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    api.answer(201, {**LINK, "title": "Launch", "notes": "For the flyer\nand the poster"})
    code, out, _ = snip(
        capsys, "shorten", "https://example.com/a", "--title", "Launch", "--notes", "For the flyer"
    )
    assert code == 0
    assert api.sent[0].body == {"url": "https://example.com/a", "title": "Launch", "notes": "For the flyer"}
    assert "  title            Launch" in out
    assert "  notes            For the flyer\n                   and the poster\n" in out


@pytest.mark.parametrize(
    ("argv", "body"),
    [
        (["--title", "New title"], {"title": "New title"}),
        (["--title", "", "--notes", ""], {"title": None, "notes": None}),
        (["--notes", "none"], {"notes": "none"}),  # only '' clears a text
    ],
)
def test_update_sets_and_clears_title_and_notes(
    api: FakeApi, capsys: pytest.CaptureFixture[str], argv: list[str], body: dict[str, Any]
) -> None:
    assert snip(capsys, "update", "AbC1234", *argv)[0] == 0
    assert api.sent[0].body == body


def test_list_searches_and_orders(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    api.answer(200, {"links": [], "next_cursor": None})
    code, out, _ = snip(capsys, "list", "--q", "Example.COM/a", "--order", "oldest", "--tag", "news")
    assert code == 0
    assert api.sent[0].params == {"q": "Example.COM/a", "order": "oldest", "tag": "news"}
    assert out == "no links tagged news matching 'Example.COM/a'\n"


def test_every_route_word_under_links_is_reserved() -> None:
    """A key equal to a route under /links/ cannot be managed through the API: none may be given."""
    assert {"batch", "bulk", "export", "summary"} <= cli.shadowed_keys()  # the contract's words
    assert cli.shadowed_keys() <= RESERVED_WORDS


def test_list_points_out_links_whose_key_is_a_route(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    word = sorted(cli.shadowed_keys())[0]
    api.answer(200, {"links": [LINK, {**LINK, "key": word}], "next_cursor": None})
    code, out, err = snip(capsys, "list")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["AbC1234", word]
    assert err.startswith(f"note: {word}: the key is also an API route (/links/{word}...)")
    assert "recreate it under another key" in err


def test_list_shadowed_searches_each_route_word(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    words = sorted(cli.shadowed_keys())
    for word in words:  # a search also finds keys that only contain the word
        api.answer(
            200, {"links": [{**LINK, "key": f"my-{word}"}, {**LINK, "key": word}], "next_cursor": None}
        )
    code, out, _ = snip(capsys, "list", "--shadowed", "--json")
    assert code == 0
    assert [sent.params for sent in api.sent] == [{"q": word} for word in words]
    assert [link["key"] for link in json.loads(out)["links"]] == words


@pytest.mark.parametrize("command", [["get"], ["update", "--disable"], ["delete"]])
def test_a_key_that_is_a_route_is_not_sent_to_that_route(
    api: FakeApi, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    word = sorted(cli.shadowed_keys())[0]
    code, _, err = snip(capsys, command[0], f"{API}/{word}", *command[1:])
    assert code == cli.USAGE
    assert f"/links/{word} is the API's own route" in err
    assert not api.sent


def test_update_with_nothing_to_change_is_bad_usage(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = snip(capsys, "update", "AbC1234")
    assert code == cli.USAGE
    assert "nothing to change" in err
    assert not api.sent


@pytest.mark.parametrize(
    "argv",
    [["--disable", "--enable"], ["--max-visits", "many"], ["--redirect-status", "303"]],
)
def test_update_refuses_bad_arguments(
    api: FakeApi, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        snip(capsys, "update", "AbC1234", *argv)
    assert stopped.value.code == cli.USAGE
    assert not api.sent


def test_list_all_follows_every_page(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    first = {**LINK, "key": "k1", "url": "https://example.com/" + "x" * 120, "tags": []}
    second = {**LINK, "key": "a-much-longer-alias", "disabled": True, "visits": 12345}
    api.answer(200, {"links": [first], "next_cursor": "c1"}).answer(
        200, {"links": [second], "next_cursor": None}
    )
    code, out, _ = snip(capsys, "list", "--all", "--tag", "news", "--limit", "1")
    assert code == 0
    assert [s.params for s in api.sent] == [
        {"limit": 1, "tag": "news"},
        {"limit": 1, "tag": "news", "cursor": "c1"},
    ]
    lines = out.splitlines()
    assert lines[0].split() == ["KEY", "STATE", "VISITS", "CREATED", "TAGS", "URL"]
    assert lines[1].split() == ["k1", "active", "0", LINK["created_at"], "-", first["url"]]
    assert lines[2].split() == [
        "a-much-longer-alias",
        "disabled",
        "12345",
        LINK["created_at"],
        "news",
        LINK["url"],
    ]
    # Aligned: every column starts where its heading does.
    for heading in ("STATE", "VISITS", "CREATED", "TAGS", "URL"):
        column = lines[0].index(heading)
        assert all(line[column - 2 : column] == "  " and line[column] != " " for line in lines), heading


def test_list_without_all_shows_one_page_and_says_how_to_get_more(
    api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    api.answer(200, {"links": [LINK], "next_cursor": "c1"})
    code, out, err = snip(capsys, "list")
    assert code == 0
    assert len(api.sent) == 1
    assert api.sent[0].params == {}
    assert len(out.splitlines()) == 2
    assert "snip list --all, or --cursor c1" in err


def test_list_json_with_all_is_one_page_of_every_link(
    api: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    api.answer(200, {"links": [LINK], "next_cursor": "c1"}).answer(
        200, {"links": [LINK], "next_cursor": None}
    )
    code, out, _ = snip(capsys, "list", "--all", "--json")
    assert code == 0
    assert json.loads(out) == {"links": [LINK, LINK], "next_cursor": None}


def test_stats_passes_the_range_as_given(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    answer = {
        "key": "AbC1234",
        "from": "2026-12-01T00:00:00Z",
        "to": "2026-12-01T02:00:00Z",
        "interval": "hour",
        "as_of": "2026-12-07T00:00:00Z",
        "total": {"visits": 3, "bot_visits": 1},
        "series": [
            {"start": "2026-12-01T00:00:00Z", "visits": 0, "bot_visits": 0},
            {"start": "2026-12-01T01:00:00Z", "visits": 3, "bot_visits": 1},
        ],
        "referrers": [{"value": "(direct)", "visits": 3}],
        "countries": [],
        "devices": [],
        "browsers": [],
        "os": [],
        "sources": [{"value": "qr", "visits": 2}, {"value": "link", "visits": 1}],
    }
    api.answer(200, answer)
    code, out, _ = snip(
        capsys, "stats", "AbC1234", "--from", "2026-12-01T05:30:00+05:30", "--to", "2026-12-01T02:00:00Z",
        "--interval", "hour",
    )  # fmt: skip
    assert code == 0
    (sent,) = api.sent
    assert sent.url == f"{API}/links/AbC1234/stats"
    assert sent.params == {
        "from": "2026-12-01T05:30:00+05:30",
        "to": "2026-12-01T02:00:00Z",
        "interval": "hour",
    }
    assert "visits 3, bot visits 1" in out
    assert "2026-12-01T01:00:00Z  3       1" in out
    assert "(1 other hours: no visits)" in out
    assert "sources: qr 2, link 1" in out
    assert "countries" not in out
    api.answer(200, answer)
    assert json.loads(snip(capsys, "stats", "AbC1234", "--json")[1]) == answer


@pytest.mark.parametrize(
    ("argv", "params"),
    [
        (["-o", "code.png", "--size", "256"], {"format": "png", "size": 256}),
        (["-o", "code.SVG"], {"format": "svg"}),
        (["-o", "code", "--format", "png"], {"format": "png"}),
    ],
)
def test_qr_writes_the_file_in_the_format_its_name_says(
    api: FakeApi, capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], params: dict[str, Any]
) -> None:
    api.answer(200, b"\x89PNG fake")
    code, out, _ = snip(capsys, "qr", "AbC1234", *argv)
    assert code == 0
    assert api.sent[0].url == f"{API}/links/AbC1234/qr"
    assert api.sent[0].params == params
    written = tmp_path / argv[1]
    assert written.read_bytes() == b"\x89PNG fake"
    assert out == f"wrote {argv[1]} (image/png, 9 bytes)\n"


@pytest.mark.parametrize("argv", [["-o", "code.svg", "--format", "png"], ["-o", "code.txt"]])
def test_qr_refuses_a_file_name_that_contradicts_the_format(
    api: FakeApi, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, _, err = snip(capsys, "qr", "AbC1234", *argv)
    assert code == cli.USAGE
    assert "-o code." in err
    assert not api.sent


def test_delete_json_says_what_was_deleted(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    api.answer(204)
    code, out, _ = snip(capsys, "delete", "AbC1234", "--json")
    assert code == 0
    assert api.sent[0].method == "DELETE"
    assert json.loads(out) == {"key": "AbC1234", "deleted": True}


@pytest.mark.parametrize(
    ("status", "body", "exit_code", "said"),
    [
        (
            400,
            {"error": {"code": "invalid_url", "message": "url must be an absolute http or https URL."}},
            cli.REFUSED,
            "snip: url must be an absolute http or https URL. (400 invalid_url)",
        ),
        (403, {"message": "Forbidden"}, cli.REFUSED, "snip: Forbidden (403)"),
        (
            404,
            {"error": {"code": "link_not_found", "message": "No link with this key."}},
            cli.NOT_FOUND,
            None,
        ),
        (429, {"message": "Too Many Requests"}, cli.UNAVAILABLE, "snip: Too Many Requests (429)"),
        (503, {"error": {"code": "service_unavailable", "message": "Try again."}}, cli.UNAVAILABLE, None),
    ],
)
def test_a_refusal_prints_the_apis_message_and_exits_non_zero(
    api: FakeApi,
    capsys: pytest.CaptureFixture[str],
    status: int,
    body: dict[str, Any],
    exit_code: int,
    said: str | None,
) -> None:
    for argv in (["get", "AbC1234"], ["list"], ["stats", "AbC1234"], ["qr", "AbC1234", "-o", "x.svg"]):
        api.answer(status, body)
        code, out, err = snip(capsys, *argv)
        assert code == exit_code, argv
        assert out == ""
        message = body.get("error", body)["message"]
        assert err.strip() == (said or f"snip: {message} ({status} {body['error']['code']})")


def test_a_deployed_api_needs_a_key(api: FakeApi, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["get", "AbC1234", "--api-url", "https://sho.rt"])
    assert code == cli.USAGE
    assert "--api-key or SNIP_API_KEY" in capsys.readouterr().err
    assert not api.sent
    assert cli.main(["get", "AbC1234", "--api-url", "https://sho.rt", "--api-key", "s3cret"]) == 0
    assert api.sent[0].headers == {"x-api-key": "s3cret"}
    assert api.sent[0].url == "https://sho.rt/links/AbC1234"


def test_keys_list_columns_never_run_together(capsys: pytest.CaptureFixture[str]) -> None:
    long_date = "2026-12-07T06:15:35Z"
    rows = [
        api_keys_cli.ApiKeyRow(ApiKeyRecord("lk-1", "alice", ("links.read",), long_date, "ci"), "active"),
        api_keys_cli.ApiKeyRow(
            ApiKeyRecord("lk-2-much-longer", "bob", ("links.read", "links.write"), long_date, ""), "revoked"
        ),
    ]
    api_keys_cli.print_rows(rows)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split() for line in lines] == [
        ["KEY_ID", "OWNER", "SCOPES", "STATE", "CREATED", "NAME"],
        ["lk-1", "alice", "links.read", "active", long_date, "ci"],
        ["lk-2-much-longer", "bob", "links.read,links.write", "revoked", long_date, "-"],
    ]
    for heading in ("OWNER", "SCOPES", "STATE", "CREATED", "NAME"):
        column = lines[0].index(heading)
        assert all(line[column - 2 : column] == "  " and line[column] != " " for line in lines), heading
