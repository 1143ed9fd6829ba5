"""snip.redirect: follow answers in domain terms (a Redirect, or a SnipError), and who is a bot."""

from __future__ import annotations

from typing import Any

import pytest

from snip.errors import LinkGone, LinkNotFound
from snip.redirect import Redirect, follow, is_preview_bot

LINK = {
    "key": "Abc1234",
    "url": "https://example.com/",
    "redirect_status": 308,
    "visits": 0,
    "disabled": False,
}


class FakeStore:
    """The two Store methods follow uses, recording how they were called."""

    def __init__(self, item: dict[str, Any] | None) -> None:
        self.item = item
        self.calls: list[tuple[Any, ...]] = []

    def get_link(self, key: str, *, consistent: bool) -> dict[str, Any] | None:
        self.calls.append(("get_link", key, consistent))
        return self.item

    def record_visit(self, key: str, now: str, *, bot: bool, request_id: str = "") -> dict[str, Any]:
        self.calls.append(("record_visit", key, bot, request_id))
        if self.item is None:
            raise LinkNotFound("No link with this key.")
        return self.item


def run(
    store: FakeStore, key: str = "Abc1234", *, count: bool = True, agent: str | None = "curl/8"
) -> Redirect:
    return follow(store, key, count=count, user_agent=agent, request_id="req-1")  # type: ignore[arg-type]


def test_a_counted_visit_is_a_redirect_outcome_and_names_the_request() -> None:
    store = FakeStore(LINK)
    assert run(store) == Redirect("https://example.com/", 308)
    assert store.calls == [("record_visit", "Abc1234", False, "req-1")]


def test_a_preview_bot_is_counted_as_a_bot() -> None:
    store = FakeStore(LINK)
    run(store, agent="Slackbot 1.0")
    assert store.calls == [("record_visit", "Abc1234", True, "req-1")]


def test_an_uncounted_look_reads_and_judges_the_link() -> None:
    store = FakeStore(LINK)
    assert run(store, count=False) == Redirect("https://example.com/", 308)
    assert store.calls == [("get_link", "Abc1234", False)]


@pytest.mark.parametrize(
    ("item", "error"),
    [(None, LinkNotFound), ({**LINK, "disabled": True}, LinkGone), ({**LINK, "deleted_at": "x"}, LinkGone)],
)
def test_an_uncounted_look_raises_for_missing_or_dead_links(item: dict[str, Any] | None, error: type) -> None:
    with pytest.raises(error):
        run(FakeStore(item), count=False)


@pytest.mark.parametrize("count", [True, False])
def test_a_key_that_cannot_exist_is_not_looked_up(count: bool) -> None:
    store = FakeStore(LINK)
    with pytest.raises(LinkNotFound):
        run(store, "no/such key", count=count)
    assert store.calls == []


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
