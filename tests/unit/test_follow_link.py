"""snip.operations.follow_link: follow answers in domain terms (a Redirect, or a SnipError) on its two paths
(a visit event; for max_visits, the count and a counted event together), and who is a bot."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from snip.domain import clock
from snip.domain.errors import LinkGone, LinkNotFound
from snip.domain.link import Link
from snip.domain.visit_events import EVENT_TTL_SECONDS, VisitEvent
from snip.operations.follow_link import (
    USER_AGENT_CHARS,
    Redirect,
    RedirectTables,
    Visit,
    follow,
    is_preview_bot,
    visit_event,
)

LINK = Link(key="Abc1234", url="https://example.com/", owner="alice", redirect_status=308)
LIMITED = dataclasses.replace(LINK, max_visits=5)
MOMENT = datetime(2030, 1, 31, 12, 0, 0, 123_456, tzinfo=UTC)
# The event ``run`` makes for LINK: curl, no Referer, no country, at MOMENT.
CURL_EVENT = VisitEvent(
    id="req-1",
    at="2030-01-31T12:00:00.123Z",
    key="Abc1234",
    owner="alice",
    bot=False,
    referrer="(direct)",
    country="(unknown)",
    user_agent="curl/8",
    source="link",
    expires=int(MOMENT.timestamp()) + EVENT_TTL_SECONDS,
)


class FakeStore:
    """The adapters' methods follow uses (link memory, visit events, limited visits), recording
    how they were called."""

    def __init__(self, item: Link | None, *, remembered: bool = False) -> None:
        self.item = item
        self.remembered = remembered
        self.calls: list[tuple[Any, ...]] = []
        self.events: list[VisitEvent] = []

    def remembered_link(self, key: str) -> tuple[Link | None, bool]:
        self.calls.append(("remembered_link", key))
        return self.item, self.remembered and self.item is not None

    def read_again(self, key: str) -> Link | None:
        self.calls.append(("get_link", key, False))
        return self.item

    def counted(self, key: str) -> int:
        self.calls.append(("counted", key))
        return 0

    def record_visit(self, link: Link, now: str, event: VisitEvent) -> None:
        self.calls.append(("record_visit", link.key))
        self.events.append(event)

    def put_visit_event(self, event: VisitEvent) -> None:
        self.calls.append(("put_visit_event", event.key))
        self.events.append(event)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: MOMENT)


def run(
    store: FakeStore, key: str = "Abc1234", *, count: bool = True, agent: str | None = "curl/8"
) -> Redirect:
    visit = Visit("req-1", user_agent=agent) if count else None
    return follow(RedirectTables(store, store, store), key, visit)  # type: ignore[arg-type]


def test_a_visit_to_a_plain_link_is_an_event_and_the_link_is_not_written() -> None:
    store = FakeStore(LINK)
    assert run(store) == Redirect("https://example.com/", 308)
    assert store.calls == [("remembered_link", "Abc1234"), ("put_visit_event", "Abc1234")]
    (event,) = store.events
    assert event == CURL_EVENT


def test_a_preview_bots_event_says_bot() -> None:
    store = FakeStore(LINK)
    run(store, agent="Slackbot 1.0")
    assert (store.events[0].bot, store.events[0].counted) == (True, False)


@pytest.mark.parametrize("remembered", [True, False])
def test_a_visit_to_a_link_with_max_visits_is_counted_with_its_event(remembered: bool) -> None:
    """The transaction, on the link as it is now: read again if it came from memory (a link with
    max_visits is never judged from there); the condition keeps the count exact."""
    store = FakeStore(LIMITED, remembered=remembered)
    assert run(store) == Redirect("https://example.com/", 308)
    reread = [("get_link", "Abc1234", False)] if remembered else []
    assert store.calls == [("remembered_link", "Abc1234"), *reread, ("record_visit", "Abc1234")]
    (event,) = store.events
    assert event == dataclasses.replace(CURL_EVENT, counted=True)


def test_a_preview_bot_on_a_link_with_max_visits_is_counted_as_a_bot() -> None:
    store = FakeStore(LIMITED)
    run(store, agent="Slackbot 1.0")
    (event,) = store.events
    assert (event.bot, event.counted) == (True, True)


def test_an_uncounted_look_judges_the_link_and_writes_nothing() -> None:
    store = FakeStore(LINK)
    assert run(store, count=False) == Redirect("https://example.com/", 308)
    assert store.calls == [("remembered_link", "Abc1234")]


def test_an_uncounted_look_at_a_link_with_max_visits_never_answers_from_memory() -> None:
    store = FakeStore(LIMITED, remembered=True)
    run(store, count=False)
    assert ("get_link", "Abc1234", False) in store.calls
    fresh = FakeStore(LIMITED, remembered=False)
    run(fresh, count=False)
    assert [c for c in fresh.calls if c[0] == "get_link"] == []  # just read: no second read


@pytest.mark.parametrize("count", [True, False])
@pytest.mark.parametrize(
    ("item", "error"),
    [
        (None, LinkNotFound),
        (dataclasses.replace(LINK, disabled=True), LinkGone),
        (dataclasses.replace(LINK, deleted_at="x"), LinkGone),
    ],
)
def test_missing_or_dead_links_raise_and_record_nothing(item: Link | None, error: type, count: bool) -> None:
    store = FakeStore(item)
    with pytest.raises(error):
        run(store, count=count)
    assert store.events == []


@pytest.mark.parametrize("count", [True, False])
def test_a_key_that_cannot_exist_is_not_looked_up(count: bool) -> None:
    store = FakeStore(LINK)
    with pytest.raises(LinkNotFound):
        run(store, "no/such key", count=count)
    assert store.calls == []


def test_an_event_keeps_the_referrers_host_the_country_and_the_source() -> None:
    visit = Visit(
        "req-2",
        user_agent="x" * 2000,
        referer="https://News.Example.com/path/article?utm=1#top",
        country="de",
        qr=True,
    )
    event = visit_event("Abc1234", LINK, visit, MOMENT)
    assert (event.referrer, event.country, event.source) == ("news.example.com", "DE", "qr")
    assert len(event.user_agent) == USER_AGENT_CHARS  # an event stays one write unit


@pytest.mark.parametrize(
    "agent",
    ["Slackbot 1.0", "Twitterbot/1.0", "facebookexternalhit/1.1", "WhatsApp/2.0", "Discordbot/2.0"],
)
def test_preview_bots(agent: str) -> None:
    assert is_preview_bot(agent)


@pytest.mark.parametrize(
    "agent",
    [
        None,
        "",
        "curl/8.5.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Safari/605.1.15",
    ],
)
def test_people_are_not_bots(agent: str | None) -> None:
    assert not is_preview_bot(agent)


# Real user agents of the apps' in-app browsers: a person tapping a link inside the app.
IN_APP_BROWSERS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 Snapchat/13.2.0.42 (like Safari/8617.1.17.10.9, panda)",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP1A.240405.002; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 "
    "Snapchat/13.1.0.33 (like Chrome/124.0.6367.82)",
    "Mozilla/5.0 (Linux; Android 13; SM-A536B Build/TP1A.220624.014; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.144 Mobile Safari/537.36 Viber/21.0.0.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 Viber/21.1.0.2",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 Instagram 325.0.0.26.81 "
    "(iPhone15,2; iOS 17_4; en_US; en; scale=3.00; 1179x2556; 591218541)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 [FBAN/FBIOS;FBAV/459.0.0.36.106;FBBV/567123;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;"
    "FBSV/17.4;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/124.0.6367.82 Mobile Safari/537.36 "
    "[FB_IAB/FB4A;FBAV/460.0.0.48.109;]",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 Safari Line/14.5.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN",
    "Mozilla/5.0 (Linux; Android 14; 23049PCD8G Build/UKQ1.230804.001; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 "
    "MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64",
]

# Real user agents of the preview crawlers of those apps and of the bots CONTRACT §2 lists.
CRAWLERS = [
    "Snap URL Preview Service; bot; snapchat; https://developers.snap.com/robots",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "facebookexternalhit/1.1;line-poker/1.0",
    "WhatsApp/2.23.20.0 A",
    "WhatsApp/2.2403.2 i",
    "Viber/21.2.0.0",
    "TelegramBot (like TwitterBot)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Twitterbot/1.0",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
]


@pytest.mark.parametrize("agent", IN_APP_BROWSERS)
def test_in_app_browsers_are_people(agent: str) -> None:
    assert not is_preview_bot(agent)


@pytest.mark.parametrize("agent", CRAWLERS)
def test_preview_crawlers_are_bots(agent: str) -> None:
    assert is_preview_bot(agent)
