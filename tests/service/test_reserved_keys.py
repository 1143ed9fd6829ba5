"""Reserved words and keys: keygen and the keys made on the spot never give a link a reserved word
(its API routes, such as /links/summary, would shadow the link's); a link whose key became
reserved keeps redirecting.

Each generator here is forced to draw reserved words first (tests/unit/test_short_keys.py forces
the UUID source of the real one).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from snip.domain import short_keys
from snip.domain.link import Link
from snip.domain.short_keys import new_key, shard_of
from snip.execution import environment
from snip.operations.batch_create import create_batch
from snip.operations.key_pool import KeyPool, refill_pool
from snip.settings import DEFAULT_TABLES, Env, get_settings
from tests.service.conftest import Call, scan
from tests.service.test_links_api import create

KEYS = DEFAULT_TABLES[Env.KEYS_TABLE]
LINKS = DEFAULT_TABLES[Env.LINKS_TABLE]


def drawing(*first: str) -> Iterator[str]:
    """``first``, then fresh keys of 7 characters."""
    return itertools.chain(first, (new_key(7) for _ in itertools.count()))


def pool_keys(dynamodb: Any) -> set[str]:
    return {item["key"]["S"] for item in scan(dynamodb, KEYS) if int(item["shard"]["N"]) >= 0}


def link_keys(dynamodb: Any) -> set[str]:
    return {item["key"]["S"] for item in scan(dynamodb, LINKS)}


def pool(generate: Iterator[str]) -> KeyPool:
    return KeyPool(
        environment.key_pool_table(),
        environment.link_creation(),
        get_settings(),
        lambda: None,
        generate=lambda _: next(generate),
    )


def test_keygen_drops_a_reserved_word_and_fills_the_pool_anyway(dynamodb: Any) -> None:
    drawn = drawing("summary", "Summary", "swagger", "Kept123")
    refill = refill_pool(environment.key_pool_table(), get_settings(), generate=lambda _: next(drawn))
    keys = pool_keys(dynamodb)
    assert refill.added == len(keys) == get_settings().pool_target
    assert not {"summary", "Summary", "swagger"} & keys
    assert "Kept123" in keys


def test_a_key_made_on_the_spot_is_never_a_reserved_word(dynamodb: Any) -> None:
    """The pool is empty: shorten generates the key itself."""
    claim = pool(drawing("summary", "SUMMARY", "Fresh12")).claim(
        lambda key: Link(key, url="https://e.com", owner="o")
    )
    assert (claim.key, claim.fallback) == ("Fresh12", True)
    assert link_keys(dynamodb) == {"Fresh12"}


def test_a_batch_never_makes_a_reserved_key_on_the_spot(dynamodb: Any) -> None:
    results = create_batch(
        environment.link_creation(),
        environment.key_pool_table(),
        pool(drawing("export", "Bulk", "Batch12", "summary", "Batch34")),
        "o",
        [{"url": "https://e.com/1"}, {"url": "https://e.com/2"}],
        "http://127.0.0.1",
        set(),
    )
    assert [result["link"]["key"] for result in results] == ["Batch12", "Batch34"]  # type: ignore[index]
    assert link_keys(dynamodb) == {"Batch12", "Batch34"}


def test_a_reserved_key_left_in_the_pool_is_never_claimed_and_leaves_it(dynamodb: Any) -> None:
    """Written by a keygen run before "summary" was reserved: claimers skip it and remove it."""
    shard = shard_of("summary", get_settings().pool_shards)
    dynamodb.put_item(TableName=KEYS, Item={"shard": {"N": str(shard)}, "key": {"S": "summary"}})
    claim = pool(drawing("Fresh12")).claim(lambda key: Link(key, url="https://e.com", owner="o"))
    assert claim.key == "Fresh12"
    assert "summary" not in pool_keys(dynamodb)
    assert link_keys(dynamodb) == {"Fresh12"}


@pytest.mark.usefixtures("filled_pool")
def test_a_link_whose_key_became_reserved_keeps_redirecting(
    call: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as before:  # the link was made when "summary" was a free alias
        before.setattr(short_keys, "RESERVED_WORDS", short_keys.RESERVED_WORDS - {"summary"})
        create(call, url="https://example.com/old-summary", alias="summary")
    assert call("POST", "/links", body={"url": "https://e.com", "alias": "Summary"}).status == 400
    for method in ("GET", "HEAD"):
        reply = call(method, "/summary", api_key_id=None)
        assert reply.status == 302
        assert reply.headers["Location"] == "https://example.com/old-summary"
