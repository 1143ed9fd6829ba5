from __future__ import annotations

import re
import uuid

import pytest

from snip.domain import short_keys


def test_new_key_is_base62_of_the_requested_length() -> None:
    for length in (4, 7, 12, 20):
        assert re.fullmatch(rf"[0-9A-Za-z]{{{length}}}", short_keys.new_key(length))


def test_new_key_comes_from_a_uuid4(monkeypatch: pytest.MonkeyPatch) -> None:
    fixed = uuid.UUID(int=62**3 * 5 + 62 * 1 + 9, version=4)
    monkeypatch.setattr(short_keys.uuid, "uuid4", lambda: fixed)
    value = fixed.int
    expected = ""
    for _ in range(7):
        value, digit = divmod(value, 62)
        expected += short_keys.BASE62[digit]
    assert short_keys.new_key(7) == expected


def uuid_spelling(key: str) -> uuid.UUID:
    """A UUID4 whose low base-62 digits spell ``key`` (what ``new_key`` reads first)."""
    wanted = sum(short_keys.BASE62.index(char) * 62**place for place, char in enumerate(key))
    version_bits = uuid.UUID(int=0, version=4).int
    return uuid.UUID(int=version_bits + (wanted - version_bits) % 62 ** len(key), version=4)


def test_new_key_never_returns_a_reserved_word(monkeypatch: pytest.MonkeyPatch) -> None:
    """The UUID source is forced to spell reserved words: each is dropped and another drawn."""
    drawn = iter([uuid_spelling(k) for k in ("summary", "Summary", "swagger", "Kept123")])
    monkeypatch.setattr(short_keys.uuid, "uuid4", lambda: next(drawn))
    assert short_keys.new_key(7) == "Kept123"
    assert next(drawn, None) is None  # all four were drawn, three dropped


@pytest.mark.parametrize("word", ["bulk", "EXPORT", "sUmMaRy", "links", "Batch"])
def test_each_new_route_word_is_dropped_whatever_its_case(monkeypatch: pytest.MonkeyPatch, word: str) -> None:
    filler = "x" * len(word)
    drawn = iter([uuid_spelling(word), uuid_spelling(filler)])
    monkeypatch.setattr(short_keys.uuid, "uuid4", lambda: next(drawn))
    assert short_keys.is_reserved(word)
    assert short_keys.new_key(len(word)) == filler


def test_keys_are_random_not_sequential() -> None:
    drawn = [short_keys.new_key(7) for _ in range(2000)]
    assert len(set(drawn)) == 2000
    assert drawn != sorted(drawn)
    first_chars = {k[0] for k in drawn}
    assert len(first_chars) > 55  # spread over the whole alphabet


@pytest.mark.parametrize(
    ("key", "shards", "shard"),
    [
        ("abc", 8, 2),  # crc32("abc") = 0x352441C2, the standard CRC-32 check value
        ("AbC1234", 8, 4),
        ("AbC1234", 2, 0),
        ("zzzzzzz", 8, 2),
        ("0000000", 2, 1),
        ("0000000", 16, 9),
    ],
)
def test_shard_is_a_known_value(key: str, shards: int, shard: int) -> None:
    """Pinned numbers: every process and every release must put a key in the same shard
    (a per-process hash such as ``hash()`` or a changed formula fails here)."""
    assert short_keys.shard_of(key, shards) == shard


@pytest.mark.parametrize("alias", ["abc", "My_Link-1", "a" * 64, "123"])
def test_valid_aliases(alias: str) -> None:
    assert short_keys.alias_problem(alias) is None


@pytest.mark.parametrize(
    "alias",
    [
        "ab",
        "a" * 65,
        "with space",
        "dot.ted",
        "slash/ed",
        "é-accent",
        "",
        "LINKS",
        "Health",
        "api",
        "bulk",
        "Export",
        "SUMMARY",
    ],
)
def test_invalid_aliases(alias: str) -> None:
    assert short_keys.alias_problem(alias)


def test_possible_keys() -> None:
    assert short_keys.is_possible_key("AbC1234")
    assert short_keys.is_possible_key("my-alias_2")
    assert not short_keys.is_possible_key("")
    assert not short_keys.is_possible_key("a" * 65)
    assert not short_keys.is_possible_key("a.b")
