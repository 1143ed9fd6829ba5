"""What a search (GET /links ``q``) looks for, and the folded texts a link is found by."""

from __future__ import annotations

import pytest

from snip.data.link_items import FOUND_IN, values_of, with_search_changes
from snip.domain.errors import InvalidInput
from snip.domain.link import Link
from snip.domain.link_search import Search, search_texts, without_scheme

LINK = Link(
    key="Ab3-x_Z",
    url="https://Straße.example/Path?Q=1",
    owner="o",
    title="Größe ΣΑΣ",
    tags=("launch", "q3"),
    listed_at="2030-01-01T00:00:00Z#Ab3-x_Z",
)


@pytest.mark.parametrize(
    ("query", "term", "key"),
    [
        ("Hello", "hello", None),
        (" spaced ", " spaced ", None),  # a term is searched as written
        ("STRASSE", "strasse", None),
        ("http://127.0.0.1:8080/abc1234", "127.0.0.1:8080/abc1234", "abc1234"),
        ("  https://sho.rt/Ab3-x_Z?qr=1\n", "sho.rt/ab3-x_z?qr=1", "Ab3-x_Z"),
        ("HTTPS://Example.com/a/b", "example.com/a/b", None),  # two segments: no key
        ("https://example.com/", "example.com/", None),
        ("https://example.com/not%20a%20key", "example.com/not%20a%20key", None),
        ("http://[broken", "[broken", None),
    ],
)
def test_what_a_query_searches_for(query: str, term: str, key: str | None) -> None:
    assert Search.parse(query) == Search(term, key)


@pytest.mark.parametrize("query", ["", "x" * 101])
def test_a_query_is_1_to_100_characters(query: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Search.parse(query)
    assert refused.value.code == "invalid_query"


@pytest.mark.parametrize(
    ("query", "finds"),
    [
        ("ab3-X", True),
        ("strasse.example/path?q", True),
        ("https://straße.EXAMPLE", True),
        ("grösse σας", True),  # final sigma and sigma fold alike
        ("LAUNCH", True),
        ("h q", False),  # across two tags
        ("https", False),  # the scheme is not searched
        ("http://any.host/Ab3-x_Z", True),
        ("http://any.host/ab3-x_z", False),  # keys are case-sensitive: another key
        ("http://any.host/Ab3-x_", False),
    ],
)
def test_what_a_search_finds(query: str, finds: bool) -> None:
    assert Search.parse(query).matches(LINK) is finds


def test_without_scheme() -> None:
    assert without_scheme("HTTPS://a.example/x") == "a.example/x"
    assert without_scheme("a.example/x") == "a.example/x"


def test_a_live_link_item_carries_the_folded_texts_a_tombstone_none() -> None:
    values = values_of(LINK)
    texts = search_texts(LINK.key, LINK.url, LINK.title, LINK.tags)
    assert {name: values[FOUND_IN[field]] for field, name in FOUND_IN.items() if field in texts} == {
        name: texts[field] for field, name in FOUND_IN.items()
    }
    assert values[FOUND_IN["tags"]] == "launch q3"
    tombstone = values_of(Link(key="k", owner="o", deleted_at="2030-01-01T00:00:00Z"))
    assert not set(FOUND_IN.values()) & set(tombstone)


def test_a_change_carries_the_search_texts_it_changes() -> None:
    changes, removals = with_search_changes({"url": "http://A.example/", "disabled": True}, ())
    assert changes == {"url": "http://A.example/", "disabled": True, FOUND_IN["url"]: "a.example/"}
    assert removals == ()
    changes, removals = with_search_changes({"tags": ["x", "y"]}, ("title", "max_visits"))
    assert changes == {"tags": ["x", "y"], FOUND_IN["tags"]: "x y"}
    assert removals == ("title", "max_visits", FOUND_IN["title"])
    assert with_search_changes({"title": "T"}, ()) == ({"title": "T", FOUND_IN["title"]: "t"}, ())
