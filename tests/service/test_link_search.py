"""GET /links ``q`` and ``order`` (CONTRACT §2): what a search finds, through the search index
and the read that decides, with the tag filter and the owner-bound cursor."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from snip.data import links_table
from snip.data.link_items import FIND_KEY, FOUND_IN
from snip.settings import DEFAULT_TABLES, Env
from tests.service.conftest import BASE_URL, Call, create_link, scan

LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]

pytestmark = pytest.mark.usefixtures("filled_pool")


create = create_link


def found(call: Call, query: str, owner: str = "owner-a") -> list[str]:
    """The keys of every page of the listing ``query`` asks for, followed to the end."""
    keys: list[str] = []
    cursor = None
    for _ in range(50):
        page = call("GET", f"/links?{query}" + (f"&cursor={cursor}" if cursor else ""), api_key_id=owner)
        assert page.status == 200, page.body
        keys += [link["key"] for link in page.json["links"]]
        cursor = page.json["next_cursor"]
        if cursor is None:
            return keys
    raise AssertionError("the listing never ended")


def q(text: str) -> str:
    return "q=" + quote(text, safe="")


class TestWhatASearchFinds:
    def test_key_url_title_and_tags_case_folded(self, call: Call) -> None:
        by_key = create(call, alias="Promo-Key")["key"]
        by_url = create(call, url="https://Shop.Example.org/Spring-Sale")["key"]
        by_title = create(call, title="Die Straße am Meer")["key"]
        by_tag = create(call, tags=["newsletter"])["key"]
        create(call, notes="promo spring straße newsletter")  # notes are not searched
        assert found(call, q("promo-k")) == [by_key]
        assert found(call, q("SHOP.example.ORG/spring")) == [by_url]
        assert found(call, q("STRASSE")) == [by_title]  # ß folds to ss
        assert found(call, q("LETTER")) == [by_tag]

    def test_the_url_is_matched_without_its_scheme(self, call: Call) -> None:
        key = create(call, url="https://docs.example.net/guide")["key"]
        create(call, url="http://other.example/https")
        assert found(call, q("https://docs.example.net/gui")) == [key]
        assert found(call, q("https")) != [key]  # the scheme is not searched

    @pytest.mark.parametrize(
        "short", [f"{BASE_URL}/{{key}}", "https://sho.rt/{key}", " http://x/{key}?qr=1\n"]
    )
    def test_a_pasted_short_url_finds_its_link(self, call: Call, short: str) -> None:
        key = create(call, url="https://example.com/far/away")["key"]
        create(call, url="https://example.com/other")
        assert found(call, q(short.format(key=key))) == [key]

    def test_another_owners_links_are_never_found(self, call: Call) -> None:
        theirs = create(call, owner="owner-b", title="shared words")
        assert found(call, q("shared")) == []
        assert found(call, q(theirs["short_url"])) == []

    def test_with_a_tag_both_must_hold(self, call: Call) -> None:
        both = create(call, title="launch day", tags=["q3"])["key"]
        create(call, title="launch day", tags=["q4"])
        create(call, title="other", tags=["q3"])
        assert found(call, f"{q('LAUNCH')}&tag=Q3") == [both]

    def test_a_change_is_found_by_what_it_says_now(self, call: Call) -> None:
        key = create(call, title="before", url="https://old.example/", tags=["old-tag"])["key"]
        change = {"title": "after", "url": "https://new.example/", "tags": ["new-tag"]}
        patched = call("PATCH", f"/links/{key}", body=change)
        assert patched.status == 200, patched.body
        for gone in ("before", "old.example", "old-tag"):
            assert found(call, q(gone)) == [], gone
        for now in ("after", "new.example", "new-tag"):
            assert found(call, q(now)) == [key], now
        assert call("PATCH", f"/links/{key}", body={"title": None}).status == 200
        assert found(call, q("after")) == []

    def test_deleted_links_are_never_found_and_keep_no_words(self, call: Call, dynamodb: Any) -> None:
        key = create(call, title="secret plans", notes="more secrets")["key"]
        assert call("DELETE", f"/links/{key}").status == 204
        assert found(call, q("secret")) == []
        tombstone = next(item for item in scan(dynamodb, LINKS) if item["key"]["S"] == key)
        assert not {"url", "title", "notes", *FOUND_IN.values()} & set(tombstone)

    def test_a_link_made_before_the_search_texts_is_still_found(self, call: Call, dynamodb: Any) -> None:
        key = create(call, title="Legacy Title")["key"]
        create(call, title="unrelated")
        dynamodb.update_item(  # as an earlier version wrote it: no search texts
            TableName=LINKS,
            Key={"key": {"S": key}},
            UpdateExpression="REMOVE " + ", ".join(FOUND_IN.values()),
        )
        assert found(call, q("legacy")) == [key]
        assert found(call, q("nothing like it")) == []

    def test_a_term_across_two_tags_finds_nothing(self, call: Call) -> None:
        create(call, tags=["alpha", "beta"])
        assert found(call, q("alpha beta")) == []


class TestOrderAndPaging:
    def test_oldest_first_is_the_reverse_and_pages_meet_exactly(self, call: Call) -> None:
        keys = [create(call, title=f"page test {i}")["key"] for i in range(7)]
        newest = found(call, "limit=3")
        assert found(call, "limit=3&order=oldest") == newest[::-1]
        assert sorted(newest) == sorted(keys)
        assert found(call, f"limit=2&{q('PAGE TEST')}") == newest
        assert found(call, f"limit=2&order=oldest&{q('page test')}") == newest[::-1]

    def test_a_cursor_goes_on_in_its_own_order_only(self, call: Call) -> None:
        for i in range(3):
            create(call, title=f"c{i}")
        cursor = call("GET", "/links?limit=1").json["next_cursor"]
        assert call("GET", f"/links?limit=1&cursor={cursor}").status == 200
        reply = call("GET", f"/links?limit=1&order=oldest&cursor={cursor}")
        assert (reply.status, reply.error_code) == (400, "invalid_cursor")
        older = call("GET", "/links?limit=1&order=oldest").json["next_cursor"]
        reply = call("GET", f"/links?limit=1&cursor={older}")
        assert (reply.status, reply.error_code) == (400, "invalid_cursor")
        reply = call("GET", f"/links?limit=1&cursor={older}", api_key_id="owner-b")
        assert (reply.status, reply.error_code) == (400, "invalid_cursor")

    def test_a_search_that_reads_its_share_comes_back_short_with_a_cursor(
        self, call: Call, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Listed last, newest first: the oldest, and in its second the key that sorts first.
        rare = create(call, title="needle", alias="--needle")["key"]
        for i in range(12):
            create(call, title=f"hay {i}")
        monkeypatch.setattr(links_table, "SEARCH_SCAN", 2)
        monkeypatch.setattr(links_table, "MAX_SEARCH_ROUNDS", 2)  # 2 + 8 entries a page at most
        first = call("GET", f"/links?{q('needle')}")
        assert first.json["links"] == []
        assert first.json["next_cursor"] is not None
        assert found(call, q("needle")) == [rare]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("q=", "invalid_query"),
        (q("x" * 101), "invalid_query"),
        ("order=newer", "invalid_order"),
        ("order=", "invalid_order"),
        ("order=OLDEST", "invalid_order"),
    ],
)
def test_bad_search_and_order(call: Call, query: str, code: str) -> None:
    reply = call("GET", f"/links?{query}")
    assert (reply.status, reply.error_code) == (400, code)


def test_a_hundred_characters_are_a_search(call: Call) -> None:
    key = create(call, title="y" * 150)["key"]
    assert found(call, q("Y" * 100)) == [key]


def test_a_new_link_carries_its_search_texts(call: Call, dynamodb: Any) -> None:
    key = create(call, alias="Mixed-Case", url="HTTPS://Example.COM/Ä", title="Größe", tags=["a", "b"])["key"]
    item = next(item for item in scan(dynamodb, LINKS) if item["key"]["S"] == key)
    assert {name: item[name]["S"] for name in FOUND_IN.values()} == {
        FIND_KEY: "mixed-case",
        FOUND_IN["url"]: "example.com/ä",
        FOUND_IN["title"]: "grösse",
        FOUND_IN["tags"]: "a b",
    }
