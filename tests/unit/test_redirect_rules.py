"""Where rules and a split send a visitor (snip.domain.redirect_rules), decided from what resolve
already has: the country, the user agent, Accept-Language, the query and the snip_vid cookie."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from itertools import count
from pathlib import Path

import pytest

from snip.domain.redirect_rules import (
    RedirectRule,
    SplitTarget,
    Visitor,
    destination,
    forwarded_query,
    preferred_language,
    reason,
    split_variant,
    visitor_id,
    with_query,
)
from tests.user_agent_corpus import CORPUS

IPHONE = next(agent for device, agent in CORPUS if device == "mobile" and "iPhone" in agent)
WINDOWS = CORPUS[0][1]
RULES = (
    RedirectRule(url="https://e.com/de", country=("DE", "AT")),
    RedirectRule(url="https://e.com/ios", device=("mobile",), os=("ios",)),
    RedirectRule(url="https://e.com/fr", language=("fr",)),
    RedirectRule(url="https://e.com/mail", query=(("src", "mail"), ("v", "2"))),
    RedirectRule(url="https://e.com/de-fr", country=("DE",), language=("fr",)),
)
SPLIT = (SplitTarget("https://e.com/a", 20), SplitTarget("https://e.com/b", 80))
ids = count()


def decide(
    visitor: Visitor, rules: tuple[RedirectRule, ...] = RULES, split: tuple[SplitTarget, ...] = ()
) -> str:
    rule, variant, _ = destination(rules, split, "key1", visitor, lambda: f"fresh-visitor-{next(ids):08d}")
    return reason(rule, variant)


@pytest.mark.parametrize(
    ("visitor", "expected"),
    [
        (Visitor(country="AT"), "0"),
        (Visitor(country="DE", language="fr"), "0"),  # the first match wins, not the most specific
        (Visitor(user_agent=IPHONE), "1"),
        (Visitor(user_agent=WINDOWS), "default"),
        (Visitor(language="fr"), "2"),
        (Visitor(query=(("x", "y"), ("v", "2"), ("src", "mail"))), "3"),
        (Visitor(query=(("src", "mail"),)), "default"),  # every pair must be there
        (Visitor(query=(("src", "Mail"), ("v", "2"))), "default"),  # values case-sensitive
        (Visitor(), "default"),  # no country header: no country rule
    ],
)
def test_the_first_rule_whose_every_condition_matches_wins(visitor: Visitor, expected: str) -> None:
    assert decide(visitor) == expected


def test_every_condition_of_a_rule_must_match() -> None:
    only = (RULES[4],)
    assert decide(Visitor(country="DE", language="fr"), only) == "0"
    assert decide(Visitor(country="DE", language="de"), only) == "default"
    assert decide(Visitor(country="FR", language="fr"), only) == "default"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", "fr"),
        ("en;q=0.8, de", "de"),  # no q is 1
        ("de;q=0.5, fr;q=0.5", "de"),  # the first among equals
        ("*, es;q=0.9", "es"),  # * ignored
        ("EN-us", "en"),
        ("fr;q=0, it;q=0.1", "it"),  # q=0: not acceptable
        ("", None),
        (None, None),
        ("*", None),
        ("de;q=abc, nl;q=0.3", "nl"),
    ],
)
def test_the_language_is_the_most_preferred_entrys_primary_subtag(
    header: str | None, language: str | None
) -> None:
    assert preferred_language(header) == language


@pytest.mark.parametrize(
    ("url", "query", "expected"),
    [
        ("https://e.com/p", "utm_source=x&a=1", "https://e.com/p?utm_source=x&a=1"),
        ("https://e.com/p?b=2", "a=1", "https://e.com/p?b=2&a=1"),
        ("https://e.com/p?b=2#top", "a=%20", "https://e.com/p?b=2&a=%20#top"),
        ("https://e.com/p?", "a=1", "https://e.com/p?a=1"),
        ("https://e.com/p#x", "", "https://e.com/p#x"),
    ],
)
def test_forward_query_appends_the_short_urls_query(url: str, query: str, expected: str) -> None:
    assert with_query(url, query) == expected


@pytest.mark.parametrize(
    ("visitor", "forwarded"),
    [
        (Visitor(raw_query="qr=1&utm_source=x&a=%20b&qr=2"), "utm_source=x&a=%20b"),  # as sent, less qr
        (Visitor(raw_query="q%72=1&b=2"), "b=2"),  # qr however it is spelled
        (
            Visitor(query=(("utm_source", "x"), ("qr", "1"), ("a", " b"))),
            "utm_source=x&a=+b",
        ),  # REST: encoded again
        (Visitor(raw_query=""), ""),
    ],
)
def test_the_query_passed_on_never_carries_qr(visitor: Visitor, forwarded: str) -> None:
    assert forwarded_query(visitor) == forwarded


def test_a_split_draws_each_target_by_its_weight() -> None:
    drawn = Counter(split_variant(SPLIT, "key1", f"visitor-{n:010d}") for n in range(20_000))
    assert abs(drawn[0] / 20_000 - 0.2) < 0.015
    assert abs(drawn[1] / 20_000 - 0.8) < 0.015


def test_a_visitor_keeps_its_variant_until_the_split_changes() -> None:
    visitors = [f"visitor-{n:010d}" for n in range(2_000)]
    first = [split_variant(SPLIT, "key1", v) for v in visitors]
    assert first == [split_variant(SPLIT, "key1", v) for v in visitors]
    for changed in (
        (SplitTarget("https://e.com/a", 20), SplitTarget("https://e.com/c", 80)),  # a target
        (SplitTarget("https://e.com/a", 21), SplitTarget("https://e.com/b", 79)),  # a weight
    ):
        again = [split_variant(changed, "key1", v) for v in visitors]
        # Drawn anew: about 2 x 0.2 x 0.8 = 32 % of visitors change, not the 1 % a shift would move.
        assert sum(a != b for a, b in zip(first, again, strict=True)) > 400
    other_key = [split_variant(SPLIT, "key2", v) for v in visitors]
    assert sum(a != b for a, b in zip(first, other_key, strict=True)) > 400


def test_a_visitor_without_a_cookie_gets_a_new_id_and_the_variant_that_id_keeps() -> None:
    rule, variant, fresh = destination((), SPLIT, "key1", Visitor(), lambda: "fresh-visitor-0000000001")
    assert (rule, fresh) == (None, "fresh-visitor-0000000001")
    assert variant == split_variant(SPLIT, "key1", "fresh-visitor-0000000001")
    assert reason(rule, variant) == f"split:{variant}"
    rule, variant, fresh = destination(
        (), SPLIT, "key1", Visitor(visitor_id="v" * 22), lambda: "unused-xxxxxxxxxxxxx"
    )
    assert (variant, fresh) == (split_variant(SPLIT, "key1", "v" * 22), None)
    # A rule that matches comes first and draws nothing.
    assert destination(RULES, SPLIT, "key1", Visitor(country="DE"), lambda: "unused-xxxxxxxxxxxxx")[::2] == (
        0,
        None,
    )


@pytest.mark.parametrize(
    "cookie", [None, "", "short", "x" * 65, "has space in it xxxxx", "a;b=cxxxxxxxxxxxxxxxx"]
)
def test_a_cookie_snip_could_not_have_set_is_no_visitor_id(cookie: str | None) -> None:
    assert visitor_id(cookie) is None


def test_resolve_loads_no_user_agent_table_until_a_rule_asks_for_a_device_or_an_os() -> None:
    """Rules stay off resolve's cold path: its modules load neither the rules nor the user-agent
    table (nor ever ua-parser); a link with rules loads the rules on its first redirect, and only a
    link with device or OS rules the table."""
    script = """
import sys
import snip.http.redirect_events, snip.operations.follow_link, snip.http.responses, snip.data.link_items
print("snip.domain.redirect_rules" in sys.modules)
from snip.domain.redirect_rules import RedirectRule, Visitor, destination
rule = RedirectRule(url="https://e.com/", country=("DE",), language=("fr",))
destination((rule,), (), "k", Visitor(country="FR", user_agent="x"), str)
print("user_agents" in str(sorted(sys.modules)), "ua_parser" in sys.modules)
destination((RedirectRule(url="https://e.com/", os=("ios",)),), (), "k", Visitor(user_agent="x"), str)
print("snip.domain.user_agents" in sys.modules, "ua_parser" in sys.modules)
"""
    src = Path(__file__).resolve().parents[2] / "src"
    out = subprocess.run(
        [sys.executable, "-B", "-c", script], capture_output=True, text=True, check=True, cwd=src
    )
    assert out.stdout.split() == ["False", "False", "False", "True", "False"]
