"""GET /links/export and GET /links/summary (CONTRACT §2): every live link of the owner as a file,
in answers that name the next; and the owner's figures."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from snip.data.link_items import VISITS
from snip.operations import owner_export
from snip.settings import DEFAULT_TABLES, Env
from tests.service.conftest import Call, create_link
from tests.visits import SLACKBOT

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]
COLUMNS = [
    "key", "short_url", "url", "title", "notes", "tags", "created_at", "expires_at", "max_visits",
    "redirect_status", "forward_query", "disabled", "visits", "bot_visits", "rules", "split",
]  # fmt: skip

pytestmark = pytest.mark.usefixtures("filled_pool")


def create(call: Call, owner: str = "owner-a", **body: Any) -> str:
    return str(create_link(call, owner, **body)["key"])


def export(call: Call, query: str = "", owner: str = "owner-a") -> list[Any]:
    """Every answer of the export, the Link header followed to the end."""
    answers = []
    path = f"/links/export{'?' + query if query else ''}"
    for _ in range(50):
        reply = call("GET", path, api_key_id=owner)
        assert reply.status == 200, reply.body
        answers.append(reply)
        link = reply.headers.get("Link")
        if link is None:
            return answers
        target = re.fullmatch(r'<([^>]+)>; rel="next"', link)
        assert target, link
        url = urlsplit(target.group(1))
        assert parse_qs(url.query)["format"] == [parse_qs(query).get("format", ["csv"])[0]]
        path = f"{url.path}?{url.query}"
    raise AssertionError("the export never ended")


def records(reply: Any) -> list[dict[str, str]]:
    assert reply.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(reply.body, newline="")))
    assert rows[0] == COLUMNS
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]


class TestExport:
    def test_csv_holds_every_column_of_every_live_link_newest_first(self, call: Call) -> None:
        older = create(call, title='Quote " and, comma', notes="two\nlines", tags=["a", "b"], max_visits=5)
        newer = create(call, redirect_status=301)
        gone = create(call)
        assert call("DELETE", f"/links/{gone}").status == 204
        create(call, owner="owner-b")
        assert call("PATCH", f"/links/{newer}", body={"disabled": True}).status == 200
        (answer,) = export(call)
        assert answer.body.endswith("\r\n")
        assert answer.body.count("\r\n") == 3  # the header and two records (the notes keep their "\n")
        first, second = records(answer)
        listed = [link["key"] for link in call("GET", "/links").json["links"]]
        assert [first["key"], second["key"]] == listed  # neither deleted nor another owner's
        if listed != [newer, older]:  # made in the same second: the key decides, as in the listing
            first, second = second, first
        shown = call("GET", f"/links/{older}").json
        assert second == {
            "key": older, "short_url": shown["short_url"], "url": "https://example.com/",
            "title": 'Quote " and, comma', "notes": "two\nlines", "tags": "a b",
            "created_at": shown["created_at"], "expires_at": "", "max_visits": "5",
            "redirect_status": "302", "forward_query": "false", "disabled": "false", "visits": "0",
            "bot_visits": "0", "rules": "[]", "split": "[]",
        }  # fmt: skip
        assert (first["disabled"], first["redirect_status"], first["title"]) == ("true", "301", "")

    def test_json_lines_carry_the_links_as_shown(self, call: Call) -> None:
        for i in range(3):
            create(call, title=f"ü {i}")
        (answer,) = export(call, "format=jsonl")
        assert answer.headers["Content-Type"] == "application/x-ndjson"
        assert "ü" in answer.body
        listed = call("GET", "/links").json["links"]  # newest first
        assert [json.loads(line) for line in answer.body.splitlines()] == listed

    @pytest.mark.parametrize("fmt", ["csv", "jsonl"])
    def test_answers_name_the_next_until_none_remain(
        self, call: Call, monkeypatch: pytest.MonkeyPatch, fmt: str
    ) -> None:
        keys = [create(call) for _ in range(5)]
        monkeypatch.setattr(owner_export, "MAX_EXPORT_LINKS", 2)
        answers = export(call, f"format={fmt}")
        assert len(answers) == 3
        if fmt == "csv":
            exported = [row["key"] for answer in answers for row in records(answer)]
        else:
            exported = [json.loads(line)["key"] for answer in answers for line in answer.body.splitlines()]
        assert sorted(exported) == sorted(keys)
        assert len(exported) == len(set(exported))

    def test_an_answer_stops_before_the_size_bound(self, call: Call, monkeypatch: pytest.MonkeyPatch) -> None:
        keys = [create(call, notes='"' * 400) for _ in range(4)]  # each quote: 2 in CSV, 4 in Lambda's JSON
        monkeypatch.setattr(owner_export, "MAX_EXPORT_BYTES", 4000)
        answers = export(call)
        assert len(answers) >= 2
        for answer in answers:
            assert len(json.dumps(answer.body)) - 2 <= 4000
        assert sorted(row["key"] for answer in answers for row in records(answer)) == sorted(keys)

    def test_an_owner_without_links_gets_the_header_alone(self, call: Call) -> None:
        (answer,) = export(call, owner="owner-c")
        assert answer.body == "\r\n".join([",".join(COLUMNS), ""])

    @pytest.mark.parametrize(
        ("query", "code"), [("format=xml", "invalid_format"), ("cursor=nope", "invalid_cursor")]
    )
    def test_bad_queries(self, call: Call, query: str, code: str) -> None:
        reply = call("GET", f"/links/export?{query}")
        assert (reply.status, reply.error_code) == (400, code)

    def test_another_owners_cursor_is_refused(self, call: Call, monkeypatch: pytest.MonkeyPatch) -> None:
        for _ in range(3):
            create(call)
        monkeypatch.setattr(owner_export, "MAX_EXPORT_LINKS", 1)
        link = call("GET", "/links/export").headers["Link"]
        cursor = parse_qs(urlsplit(link[1 : link.index(">")]).query)["cursor"][0]
        reply = call("GET", f"/links/export?cursor={cursor}", api_key_id="owner-b")
        assert (reply.status, reply.error_code) == (400, "invalid_cursor")


class TestSummary:
    def test_figures_over_the_links_not_deleted(self, call: Call, dynamodb: Any) -> None:
        visited = [create(call, max_visits=100, title=f"v{i}") for i in range(12)]
        quiet = create(call)
        for rank, key in enumerate(visited):  # visited[i] gets i + 1 visits: counted at the redirect
            for _ in range(rank + 1):
                assert call("GET", f"/{key}", api_key_id=None).status == 302
        assert call("GET", f"/{visited[0]}", api_key_id=None, headers={"User-Agent": SLACKBOT}).status == 302
        assert call("PATCH", f"/links/{visited[5]}", body={"disabled": True}).status == 200
        assert call("DELETE", f"/links/{visited[11]}").status == 204
        # Counted on the link's own item by an earlier version, frozen since: counted still.
        dynamodb.update_item(
            TableName=LINKS,
            Key={"key": {"S": quiet}},
            UpdateExpression="SET #v = :v",
            ExpressionAttributeNames={"#v": VISITS},
            ExpressionAttributeValues={":v": {"N": "100"}},
        )
        create(call, owner="owner-b", max_visits=5)
        reply = call("GET", "/links/summary")
        assert reply.status == 200, reply.body
        summary = reply.json
        assert summary["links"] == 12
        assert summary["visits"] == sum(range(1, 12)) + 100
        assert summary["bot_visits"] == 1
        expected = [(quiet, 100), *((visited[i], i + 1) for i in range(10, 1, -1))]  # the disabled one too
        top = summary["top"]
        assert [(entry["key"], entry["visits"]) for entry in top] == expected
        assert top[1] == {"key": visited[10], "url": "https://example.com/", "title": "v10", "visits": 11}
        assert top[0]["title"] is None

    def test_an_owner_without_links(self, call: Call) -> None:
        reply = call("GET", "/links/summary", api_key_id="owner-c")
        assert reply.json == {"links": 0, "visits": 0, "bot_visits": 0, "top": []}

    def test_routes_that_shadow_keys_are_not_read_as_keys(self, call: Call) -> None:
        for path in ("/links/summary", "/links/export"):
            reply = call("GET", path)
            assert reply.status == 200, (path, reply.body)


def test_a_slow_read_ends_the_answer_early_and_names_the_next(
    call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = [create(call) for _ in range(5)]
    monkeypatch.setattr(owner_export, "BATCH", 1)
    monkeypatch.setattr(owner_export, "READERS", 2)
    monkeypatch.setattr(owner_export, "READ_SECONDS", -1.0)  # every wave takes too long
    answers = export(call)
    assert [len(records(answer)) for answer in answers] == [2, 2, 1]
    assert sorted(row["key"] for answer in answers for row in records(answer)) == sorted(keys)
