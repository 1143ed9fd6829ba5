"""Reading exports into link bodies (snip_local.link_import): each format from a small realistic
file under tests/fixtures/link_exports/, the header variants, the clean-up rules, line numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from snip.domain.short_keys import alias_problem
from snip_local import link_import
from snip_local.link_import import ImportFileError, ImportRow, derived_key, parse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "link_exports"
NOW = datetime(2026, 12, 7, tzinfo=UTC)


def read(name: str, file_format: str | None = None) -> link_import.ParsedFile:
    return parse((FIXTURES / name).read_text(encoding="utf-8"), file_format, now=NOW)


def by_key(parsed: link_import.ParsedFile) -> dict[str | None, ImportRow]:
    return {row.source_key: row for row in parsed.rows}


@pytest.mark.parametrize(
    ("name", "guessed"),
    [("bitly.csv", "bitly"), ("shlink.csv", "shlink"), ("yourls.csv", "yourls"), ("snip.csv", "csv"),
     ("snip.jsonl", "jsonl")],
)  # fmt: skip
def test_the_format_is_guessed_from_the_file(name: str, guessed: str) -> None:
    assert read(name).format == guessed


def test_bitly_export() -> None:
    parsed = read("bitly.csv")
    assert not parsed.problems
    rows = by_key(parsed)
    assert list(rows) == ["spring-launch-24", "qa-office-hours", "go", "3Xk9QzL"]  # "bit.ly/x" or a URL
    spring = rows["spring-launch-24"]
    assert spring.line == 2
    assert spring.body == {
        "url": "https://shop.example.com/spring?utm_source=bitly&utm_medium=social",
        "title": "Spring launch: landing page",
        "tags": ["marketing", "spring", "2024"],
    }
    assert spring.keys_to_try() == ["spring-launch-24", derived_key(spring), None]
    qa = rows["qa-office-hours"]
    assert qa.body["title"] == 'Q&A "office hours" recording'
    assert qa.body["tags"] == ["q-a"]
    assert any("tags cleaned up" in change for change in qa.changes)
    go = rows["go"]
    assert "title" not in go.body
    assert "tags" not in go.body
    assert go.key_problem
    assert go.keys_to_try() == [derived_key(go), None]
    assert rows["3Xk9QzL"].body["tags"] == ["sales", "pricing"]  # split on "|"


def test_bitly_api_style_columns() -> None:
    """The API's export names the columns link and long_url; the key is the link's last segment."""
    text = (
        "id,link,long_url,title,created_at,archived,tags\n"
        "bit.ly/4aBcDeF,https://bit.ly/4aBcDeF,https://example.com/a,A page,2024-01-01T00:00:00+0000,false,"
        "one two\n"
    )
    (row,) = parse(text, now=NOW).rows
    assert (row.source_key, row.body) == (
        "4aBcDeF",
        {"url": "https://example.com/a", "title": "A page", "tags": ["one", "two"]},
    )


def test_shlink_export() -> None:
    parsed = read("shlink.csv")
    rows = by_key(parsed)
    assert list(rows) == ["docs-home", "rel-notes-6", "Ab3"]
    assert rows["docs-home"].body == {
        "url": "https://docs.example.org/",
        "title": "Documentation home",
        "tags": ["docs", "onboarding"],
    }
    assert rows["rel-notes-6"].body["tags"] == ["docs", "releases", "v6-0"]  # "." becomes "-"
    assert rows["Ab3"].body == {"url": "https://example.org/careers"}
    assert rows["Ab3"].keys_to_try()[0] == "Ab3"  # 3 characters: alias enough
    assert not any(row.disabled for row in parsed.rows)  # visits are not imported


def test_yourls_export() -> None:
    rows = by_key(read("yourls.csv"))
    assert list(rows) == ["1", "promo-summer", "summary"]
    assert rows["1"].body["title"] == "Hello world! \u2013 Example Blog"  # an en dash, as WordPress writes
    assert rows["1"].key_problem
    assert "3 to 64" in rows["1"].key_problem
    assert rows["summary"].key_problem == "'summary' is a reserved word."
    assert rows["summary"].keys_to_try() == [derived_key(rows["summary"]), None]
    assert rows["promo-summer"].keys_to_try()[0] == "promo-summer"


def test_snips_own_csv_carries_every_field() -> None:
    parsed = read("snip.csv")
    assert not parsed.problems
    rows = by_key(parsed)
    launch = rows["launch-2025"]
    assert launch.line == 2
    assert launch.body == {
        "url": "https://example.com/launch",
        "title": "Launch, day one",
        "notes": 'Printed on the flyer.\nKeep it stable, "forever".',
        "tags": ["launch", "print"],
        "expires_at": "2031-01-01T00:00:00Z",
        "redirect_status": 307,
        "forward_query": True,
        "rules": [
            {"when": {"country": ["FR", "BE"]}, "url": "https://example.com/fr/launch"},
            {"when": {"device": ["mobile"]}, "url": "https://m.example.com/launch"},
        ],
    }
    assert not launch.disabled
    assert not launch.changes
    split = rows["ab-test"]
    assert split.line == 4  # the notes of line 2 take two lines
    assert split.disabled
    assert split.body["split"] == [
        {"url": "https://example.com/landing-a", "weight": 70},
        {"url": "https://example.com/landing-b", "weight": 30},
    ]
    assert "rules" not in split.body  # [] adds nothing
    assert "forward_query" not in split.body  # false: what a create does anyway
    expired = rows["old-offer"]
    assert expired.disabled
    assert "expires_at" not in expired.body
    assert expired.changes == ("came in disabled: it expired at 2024-12-31T23:59:59Z",)
    used_up = rows["first-100"]
    assert used_up.disabled
    assert used_up.body["max_visits"] == 100
    assert "visits" not in used_up.body


def test_snips_own_json_lines_read_like_its_csv() -> None:
    csv_rows = read("snip.csv").rows
    json_rows = read("snip.jsonl").rows
    assert [(r.source_key, r.body, r.disabled, r.changes) for r in json_rows] == [
        (r.source_key, r.body, r.disabled, r.changes) for r in csv_rows
    ]
    assert [r.line for r in json_rows] == [1, 2, 3, 4]


def test_header_names_are_matched_whatever_their_case() -> None:
    text = "LONGURL,ShortCode,TITLE,Tags\r\nhttps://example.com/x,xyz-1,X,a\r\n"
    (row,) = parse(text, "shlink", now=NOW).rows
    assert (row.source_key, row.body) == (
        "xyz-1",
        {"url": "https://example.com/x", "title": "X", "tags": ["a"]},
    )


def test_clean_up_rules() -> None:
    long_title = "T" * 250
    tags = "Ünïcode,UPPER " + "x" * 40 + "|" + " ".join(f"t{n}" for n in range(12))
    text = f'url,title,tags\nhttps://example.com/,"{long_title}\x07","{tags}"\n'
    (row,) = parse(text, "csv", now=NOW).rows
    assert row.body["title"] == "T" * 200
    assert row.body["tags"][:3] == ["-n-code", "upper", "x" * 32]
    assert len(row.body["tags"]) == 10  # at most 10 tags
    assert len(row.changes) == 2
    assert row.source_key is None
    assert row.keys_to_try() == [derived_key(row), None]


@pytest.mark.parametrize(
    ("text", "line", "said"),
    [
        ("url,key\nhttps://e.com/1,k-1\n,k-2\n", 3, "no destination url"),
        ("url,max_visits\nhttps://e.com/1,1\n\nhttps://e.com/2,many\n", 4, "max_visits is 'many'"),
        ("url,disabled\nhttps://e.com/1,perhaps\n", 2, "disabled is 'perhaps'"),
        ("url,rules\nhttps://e.com/1,[{\n", 2, "rules is not JSON"),
        ("url,expires_at\nhttps://e.com/1,tomorrow\n", 2, "expires_at"),
        ("url,key\nhttps://e.com/1,a,b\n", 2, "3 cells"),
    ],
)
def test_a_row_that_cannot_be_read_is_reported_with_its_line(text: str, line: int, said: str) -> None:
    parsed = parse(text, now=NOW)
    (problem,) = parsed.problems
    assert problem.line == line
    assert said in problem.message


def test_json_lines_problems_carry_their_line() -> None:
    text = '{"url": "https://e.com/1"}\n\nnot json\n[1]\n{"key": "k"}\n'
    parsed = parse(text, now=NOW)
    assert [row.line for row in parsed.rows] == [1]
    assert [(p.line, p.message.split(":")[0]) for p in parsed.problems] == [
        (3, "not JSON"),
        (4, "not a JSON object"),
        (5, "no destination url"),
    ]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("name,value\nx,y\n", "cannot tell"),
        ("", "cannot tell"),
        ("title,tags\nx,y\n", "no column with the destination"),
        ("url,key\n", "no links"),
    ],
)
def test_a_file_that_says_nothing_usable_is_refused_whole(text: str, said: str) -> None:
    with pytest.raises(ImportFileError, match=said):
        parse(text, "csv" if "title" in text else None, now=NOW)


def test_derived_keys_are_stable_aliases_of_the_row() -> None:
    row = ImportRow(2, "ab", {"url": "https://example.com/"})
    again = ImportRow(9, "ab", {"url": "https://example.com/", "title": "changed"})
    other = ImportRow(2, "ab", {"url": "https://example.com/other"})
    assert derived_key(row) == derived_key(again) != derived_key(other)
    assert alias_problem(derived_key(row)) is None
    assert len(derived_key(row)) == link_import.DERIVED_KEY_LENGTH
