"""Following a short link: the hot path of the resolve function.

``follow`` answers in domain terms, a ``Redirect`` or a ``SnipError``; the handler turns either
into an HTTP response (``snip.http.responses``).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from snip.data.limited_visits import LimitedVisits
from snip.data.link_memory import LinkMemory
from snip.data.links_table import LinksTable
from snip.data.visits_table import VisitsTable
from snip.domain import clock
from snip.domain.errors import LinkGone, LinkNotFound
from snip.domain.link import Link
from snip.domain.liveness import is_active
from snip.domain.short_keys import is_possible_key
from snip.domain.visit_events import (
    EVENT_TTL_SECONDS,
    SOURCE_LINK,
    SOURCE_QR,
    VisitEvent,
    country_code,
    referrer_host,
)
from snip.settings import get_settings

# Link-preview and crawler user agents: redirected, counted as bot_visits (their events say
# bot), never spending max_visits (a link pasted into Slack must not burn a one-time link). Each entry is the
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
class RedirectTables:
    """What following a link reads and writes: the links this environment remembers, the visit
    events, and the count on the link itself for a link with ``max_visits``."""

    memory: LinkMemory
    events: VisitsTable
    limited: LimitedVisits

    @classmethod
    def over(
        cls, links: LinksTable, events: VisitsTable, counters_table: str | None = None
    ) -> RedirectTables:
        """The redirect's adapters over these tables (the links' counters items in
        ``counters_table``, the rollups table by default), with a memory of its own."""
        memory = LinkMemory(links)
        counters = counters_table or get_settings().rollups_table
        return cls(memory, events, LimitedVisits(links, memory, events, counters))


@dataclass(frozen=True)
class Redirect:
    """Where a live link sends its visitor, and with which status."""

    url: str
    status: int

    @classmethod
    def to(cls, link: Link) -> Redirect:
        """Where ``link`` sends its visitor (a link that redirects has its URL and status: a
        delete removes the URL with the same write that makes the link inactive)."""
        assert link.url is not None
        assert link.redirect_status is not None
        return cls(link.url, link.redirect_status)


@dataclass(frozen=True)
class Visit:
    """What a GET tells about its visitor (a HEAD has no Visit: it counts nothing). Never the IP."""

    request_id: str  # the event's id: CloudFront's X-Amz-Cf-Id or API Gateway's requestId (else Lambda's)
    user_agent: str | None = None
    referer: str | None = None  # kept as its host only
    country: str | None = None  # CloudFront-Viewer-Country, when CloudFront is the front door
    qr: bool = False  # opened with ?qr=1, the QR code's target


USER_AGENT_CHARS = 512  # enough to classify any browser; keeps an event under 1 KB (one WRU)


def follow(tables: RedirectTables, key: str, visit: Visit | None) -> Redirect:
    """Follow ``key``; with a ``visit`` (GET) the visit is recorded before the answer.

    The link is read (from the environment's memory for up to 2 s) and judged by the redirect
    rule; every GET's visit is a visit event, durable before the redirect: if it cannot be
    written the answer is a 503, never a redirect that was not recorded. Two paths from there. A
    link without ``max_visits`` gets the event alone (one PutItem; the link's item is not
    written: the aggregator counts it). A link with ``max_visits`` is counted and checked on its
    counters item, in the same transaction as its event (``counted=True``: the aggregator adds it
    to the rollups only), so that exactly N redirects happen however many arrive at once.
    """
    if not is_possible_key(key):
        raise LinkNotFound("No link with this key.")
    moment = clock.utcnow()
    now = clock.format_ts(moment)
    link, remembered = tables.memory.remembered_link(key)
    if link is not None and link.max_visits is not None:
        return _follow_limited(tables, key, moment, visit, link, remembered)
    if link is None:
        raise LinkNotFound("No link with this key.")
    if not is_active(link, now):
        raise LinkGone("This link is no longer active.")
    if visit is not None:
        tables.events.put_visit_event(visit_event(key, link, visit, moment))
    return Redirect.to(link)


def _follow_limited(
    tables: RedirectTables,
    key: str,
    moment: datetime,
    visit: Visit | None,
    link: Link,
    remembered: bool,
) -> Redirect:
    """A link with ``max_visits``, never judged from memory: read again if what we hold came from
    there. GET counts the visit on the link's counters item and writes its event in one
    transaction whose condition is the count (a preview bot's visit is counted apart, never
    spending max_visits). HEAD judges the link and its count as they are now, writing nothing."""
    now = clock.format_ts(moment)
    item = tables.memory.read_again(key) if remembered else link
    if item is None:
        raise LinkNotFound("No link with this key.")
    if not is_active(item, now):
        raise LinkGone("This link is no longer active.")
    if visit is None:
        if item.max_visits is not None and item.visits + tables.limited.counted(key) >= item.max_visits:
            raise LinkGone("This link is no longer active.")
        return Redirect.to(item)
    if item.max_visits is None:  # the limit was cleared since
        tables.events.put_visit_event(visit_event(key, item, visit, moment))
        return Redirect.to(item)
    tables.limited.record_visit(item, now, visit_event(key, item, visit, moment, counted=True))
    return Redirect.to(item)


def visit_event(key: str, link: Link, visit: Visit, moment: datetime, *, counted: bool = False) -> VisitEvent:
    """The event of one redirect of ``link`` at ``moment``; ``counted`` if the redirect counted it
    on the link itself (a link with max_visits)."""
    at = moment.astimezone(UTC)
    return VisitEvent(
        id=visit.request_id or str(uuid.uuid4()),
        at=at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
        key=key,
        owner=link.owner or "",
        bot=is_preview_bot(visit.user_agent),
        referrer=referrer_host(visit.referer),
        country=country_code(visit.country),
        user_agent=(visit.user_agent or "")[:USER_AGENT_CHARS],
        source=SOURCE_QR if visit.qr else SOURCE_LINK,
        expires=int(at.timestamp()) + EVENT_TTL_SECONDS,
        counted=counted,
    )
