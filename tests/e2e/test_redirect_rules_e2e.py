"""Redirect rules and a split end to end through the local stack (CONTRACT §2, "Redirect rules";
§4: the front door passes a request's own CloudFront-Viewer-Country): the Location each visitor
gets, the snip_vid cookie's stickiness, and the stats' destinations once the pipeline counted them."""

from __future__ import annotations

import re
import time
from typing import Any

import requests

from tests.e2e.stacks import Stack
from tests.user_agent_corpus import CORPUS
from tests.visits import SLACKBOT

IPHONE = next(agent for device, agent in CORPUS if device == "mobile" and "iPhone" in agent)
WINDOWS = CORPUS[0][1]
HOME = "https://example.com/home"
RULES = [
    {"when": {"country": ["NZ"]}, "url": "https://example.com/nz"},
    {"when": {"device": ["mobile"], "os": ["ios"]}, "url": "https://apps.apple.com/app/e2e"},
    {"when": {"language": ["fr"]}, "url": "https://example.com/fr"},
    {"when": {"query": {"src": "mail"}}, "url": "https://example.com/mail"},
]
SPLIT = [{"url": "https://example.com/a", "weight": 50}, {"url": "https://example.com/b", "weight": 50}]
COOKIE = re.compile(r"snip_vid=([A-Za-z0-9_-]+); Max-Age=2592000; Path=/; HttpOnly; Secure; SameSite=Lax")


def visit(stack: Stack, key: str, query: str = "", method: str = "GET", **headers: str) -> requests.Response:
    sent = {name.replace("_", "-"): value for name, value in headers.items()}
    return requests.request(
        method, f"{stack.base_url}/{key}{query}", headers=sent, allow_redirects=False, timeout=30
    )


def test_rules_and_a_split_send_each_visitor_and_stats_count_each_destination(stack: Stack) -> None:
    created = requests.post(
        f"{stack.base_url}/links",
        json={"url": HOME, "rules": RULES, "split": SPLIT, "forward_query": True},
        headers=stack.headers(),
        timeout=30,
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    sent: dict[str, int] = {}

    def expect(location: str, reply: requests.Response, rule: str) -> None:
        assert (reply.status_code, reply.headers["Location"]) == (302, location), reply.headers
        assert reply.headers["Cache-Control"] == "private, no-store"
        sent[rule] = sent.get(rule, 0) + 1

    # The country comes from the request's own header, as CloudFront would set it.
    expect(
        "https://example.com/nz", visit(stack, key, CloudFront_Viewer_Country="NZ", User_Agent=IPHONE), "0"
    )
    expect("https://apps.apple.com/app/e2e", visit(stack, key, User_Agent=IPHONE), "1")
    expect(
        "https://example.com/fr",
        visit(stack, key, User_Agent=WINDOWS, Accept_Language="fr-CA, en;q=0.8"),
        "2",
    )
    expect(
        "https://example.com/mail?src=mail&utm_source=x",
        visit(stack, key, "?src=mail&utm_source=x&qr=1", User_Agent=WINDOWS),
        "3",
    )
    # The split: the first answer sets the cookie; with it, the same variant every time.
    first = visit(stack, key, User_Agent=WINDOWS, Accept_Language="de")
    found = COOKIE.fullmatch(first.headers.get("Set-Cookie", ""))
    assert found, first.headers
    variant = [target["url"] for target in SPLIT].index(first.headers["Location"])
    expect(SPLIT[variant]["url"], first, f"split:{variant}")
    for _ in range(4):
        again = visit(stack, key, User_Agent=WINDOWS, Cookie=f"snip_vid={found.group(1)}")
        expect(SPLIT[variant]["url"], again, f"split:{variant}")
        assert "Set-Cookie" not in again.headers
    head = visit(stack, key, method="HEAD", User_Agent=WINDOWS, Cookie=f"snip_vid={found.group(1)}")
    assert (head.headers["Location"], "Set-Cookie" in head.headers) == (SPLIT[variant]["url"], False)
    bot = visit(stack, key, "?utm_source=slack", User_Agent=SLACKBOT, CloudFront_Viewer_Country="NZ")
    assert bot.headers["Location"] == f"{HOME}?utm_source=slack"  # preview bots get the url

    expected = [
        *(
            {"value": rule["url"], "rule": str(n), "visits": sent.get(str(n), 0)}
            for n, rule in enumerate(RULES)
        ),
        *(
            {"value": target["url"], "rule": f"split:{n}", "visits": sent.get(f"split:{n}", 0)}
            for n, target in enumerate(SPLIT)
        ),
        {"value": HOME, "rule": "default", "visits": 0},
    ]
    began, answer = time.monotonic(), {}
    while time.monotonic() - began < 20:
        answer = requests.get(
            f"{stack.base_url}/links/{key}/stats", headers=stack.headers(), timeout=30
        ).json()
        if answer["total"]["visits"] + answer["total"]["bot_visits"] >= 10:
            break
        time.sleep(0.2)
    assert answer["total"] == {"visits": 9, "bot_visits": 1}, answer
    assert answer["destinations"] == expected
    countries: Any = {row["value"]: row["visits"] for row in answer["countries"]}
    assert countries["NZ"] == 1  # the bot's NZ is a bot visit, not a human one
