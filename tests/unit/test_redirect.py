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
