"""Following a short link: the hot path of the resolve function.

``follow`` answers in domain terms, a ``Redirect`` or a ``SnipError``; the handler turns either
into an HTTP response (``snip.web``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from snip import clock
from snip.errors import LinkGone, LinkNotFound
from snip.keys import is_possible_key
from snip.redirect_rule import is_active
from snip.store import Store

# Link-preview and crawler user agents: redirected, counted as bot_visits, never spending
# max_visits (a link pasted into Slack must not burn a one-time link). Each entry is the
# crawler's own token, never the app's name: the in-app browsers of Snapchat ("... Snapchat/13.2"),
# Viber ("... Viber/21.0"), Instagram, Facebook ("[FBAN/FBIOS;FBAV/...]"), LINE ("Line/14.5") and
# WeChat ("MicroMessenger/8.0") carry the app's name and are people. Sources for the tokens:
# Snap's "Snap URL Preview Service; bot; snapchat; https://developers.snap.com/robots"
# (https://developer.snapchat.com/robots); Meta's facebookexternalhit / facebookcatalog / Facebot
# (https://developers.facebook.com/docs/sharing/webmasters/web-crawlers/), which LINE's previewer
# extends as "facebookexternalhit/1.1;line-poker/1.0"; WhatsApp's previewer "WhatsApp/2.x" and
# Viber's "Viber/x" start the header (Yandex antirobot's preview_uid.cpp matches exactly these
# prefixes); "TelegramBot (like TwitterBot)".
_BOTS = re.compile(
    r"^(?:whatsapp/|viber(?:/|$))"
    r"|snap url preview service|facebookexternalhit|facebookcatalog|facebot|line-poker"
    r"|slackbot|slack-imgproxy|twitterbot|linkedinbot|telegrambot|discordbot|skypeuripreview"
    r"|redditbot|pinterestbot|embedly|iframely|vkshare|applebot|googlebot|bingbot|mastodon"
    r"|bluesky|cardyb|google-pagerenderer|yahoo! slurp|duckduckbot|yandexbot|baiduspider"
    r"|quora link preview|microsoftpreview",
    re.IGNORECASE,
)


def is_preview_bot(user_agent: str | None) -> bool:
    return bool(user_agent) and _BOTS.search(user_agent or "") is not None


@dataclass(frozen=True)
class Redirect:
    """Where a live link sends its visitor, and with which status."""

    url: str
    status: int


def follow(store: Store, key: str, *, count: bool, user_agent: str | None, request_id: str) -> Redirect:
    """One DynamoDB request either way: with ``count`` (GET) the visit is counted in the same
    conditional update that checks the link is live; without (HEAD) the link is only read.

    ``request_id`` names the request to the store (API Gateway's, else Lambda's request id).
    """
    if not is_possible_key(key):
        raise LinkNotFound("No link with this key.")
    now = clock.now_ts()
    if count:
        bot = is_preview_bot(user_agent)
        item = store.record_visit(key, now, bot=bot, request_id=request_id)
    else:
        found = store.get_link(key, consistent=False)
        if found is None:
            raise LinkNotFound("No link with this key.")
        if not is_active(found, now):
            raise LinkGone("This link is no longer active.")
        item = found
    return Redirect(item["url"], int(item["redirect_status"]))
