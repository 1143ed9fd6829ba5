"""Following a short link: the hot path of the resolve function.

``follow`` answers in domain terms, a ``Redirect`` or a ``SnipError``; the handler turns either
into an HTTP response (``snip.http.responses``).
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

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
    DEFAULT_DESTINATION,
    EVENT_TTL_SECONDS,
    SOURCE_LINK,
    SOURCE_QR,
    VisitEvent,
    country_code,
    referrer_host,
)
from snip.settings import get_settings

if TYPE_CHECKING:  # a link with rules or a split imports it when it is followed, not at start
    from snip.domain.redirect_rules import Visitor

DEFAULT = DEFAULT_DESTINATION
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
)


def is_preview_bot(user_agent: str | None) -> bool:
    """Whether a user agent is a preview bot's or a crawler's, compared in lower case: the tokens
    above are, and a case-sensitive search of the lowered agent is several times faster than a
    case-blind one (which gives up the search's literal-prefix scan): tens of microseconds a
    redirect on a real browser's agent."""
    return bool(user_agent) and _BOTS.search((user_agent or "").lower()) is not None


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
    """Where a live link sends its visitor, with which status, and why."""

    url: str
    status: int
    destination: str = DEFAULT  # what the visit event records: "0".."9", "split:<i>" or "default"
    visitor_cookie: str | None = None  # a snip_vid to set: a GET that drew a split's variant afresh
    personal: bool = False  # rules or a split: the answer depends on the visitor, cached nowhere
    target: str = ""  # the destination's redirect_rules.target_tag, but for the link's url

    @classmethod
    def to(
        cls,
        link: Link,
        key: str = "",
        visitor: Callable[[], Visitor] | None = None,
        *,
        get: bool = False,
        bot: bool | None = None,
    ) -> Redirect:
        """Where ``link`` sends the visitor ``visitor()`` tells of (a link that redirects has its
        URL and status: a delete removes the URL with the same write that makes the link inactive).

        A bare link reads nothing of the visitor. Otherwise the first matching rule, else the
        split's variant (sticky by the visitor's snip_vid; drawn with a new id for a visitor without
        one, which a GET's answer sets), else the link's url; a preview bot always gets the url;
        forward_query appends the short URL's query (less ``qr``) to whichever it is.
        """
        assert link.url is not None
        assert link.redirect_status is not None
        if not (link.rules or link.split or link.forward_query):
            return cls(link.url, link.redirect_status)
        from snip.domain import redirect_rules

        seen = visitor() if visitor is not None else redirect_rules.Visitor()
        url, why, cookie = link.url, DEFAULT, None
        personal = bool(link.rules or link.split)
        if bot is None:
            bot = is_preview_bot(seen.user_agent)
        if personal and not bot:
            rule, variant, drawn = redirect_rules.destination(
                link.rules, link.split, key, seen, new_visitor_id
            )
            why = redirect_rules.reason(rule, variant)
            if rule is not None:
                url = link.rules[rule].url
            elif variant is not None:
                url = link.split[variant].url
            cookie = drawn if get else None  # HEAD chooses the same way and sets no cookie
        target = "" if why == DEFAULT else redirect_rules.target_tag(url)
        if link.forward_query:
            url = redirect_rules.with_query(url, redirect_rules.forwarded_query(seen))
        return cls(url, link.redirect_status, why, cookie, personal, target)


def new_visitor_id() -> str:
    """A new visitor's snip_vid: 128 random bits (drawn per request, never at import)."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class Visit:
    """What a GET tells about its visitor (a HEAD has no Visit: it counts nothing). Never the IP."""

    request_id: str  # the event's id: CloudFront's X-Amz-Cf-Id or API Gateway's requestId (else Lambda's)
    user_agent: str | None = None
    referer: str | None = None  # kept as its host only
    country: str | None = None  # CloudFront-Viewer-Country, when CloudFront is the front door
    qr: bool = False  # opened with ?qr=1, the QR code's target


USER_AGENT_CHARS = 512  # enough to classify any browser; keeps an event under 1 KB (one WRU)


def follow(
    tables: RedirectTables, key: str, visit: Visit | None, visitor: Callable[[], Visitor] | None = None
) -> Redirect:
    """Follow ``key``; with a ``visit`` (GET) the visit is recorded before the answer. ``visitor``
    tells what rules and a split read of the visitor (asked only for a link with some).

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
        return _follow_limited(tables, key, moment, visit, visitor, link, remembered)
    if link is None:
        raise LinkNotFound("No link with this key.")
    if not is_active(link, now):
        raise LinkGone("This link is no longer active.")
    bot = is_preview_bot(visit.user_agent) if visit is not None else None  # judged once a request
    redirect = Redirect.to(link, key, visitor, get=visit is not None, bot=bot)
    if visit is not None:
        tables.events.put_visit_event(visit_event(key, link, visit, moment, redirect=redirect, bot=bot))
    return redirect


def _follow_limited(
    tables: RedirectTables,
    key: str,
    moment: datetime,
    visit: Visit | None,
    visitor: Callable[[], Visitor] | None,
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
        return Redirect.to(item, key, visitor)
    bot = is_preview_bot(visit.user_agent)
    redirect = Redirect.to(item, key, visitor, get=True, bot=bot)
    event = visit_event(
        key, item, visit, moment, counted=item.max_visits is not None, redirect=redirect, bot=bot
    )
    if item.max_visits is None:  # the limit was cleared since
        tables.events.put_visit_event(event)
    else:
        tables.limited.record_visit(item, now, event)
    return redirect


def visit_event(
    key: str,
    link: Link,
    visit: Visit,
    moment: datetime,
    *,
    counted: bool = False,
    redirect: Redirect | None = None,
    bot: bool | None = None,
) -> VisitEvent:
    """The event of one redirect of ``link`` at ``moment``; ``counted`` if the redirect counted it
    on the link itself (a link with max_visits); ``redirect``: where it went and why (by default,
    the link's url); ``bot``: whether the visitor is a preview bot, if judged already."""
    at = moment.astimezone(UTC)
    return VisitEvent(
        id=visit.request_id or str(uuid.uuid4()),
        at=at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z",
        key=key,
        owner=link.owner or "",
        bot=is_preview_bot(visit.user_agent) if bot is None else bot,
        referrer=referrer_host(visit.referer),
        country=country_code(visit.country),
        user_agent=(visit.user_agent or "")[:USER_AGENT_CHARS],
        source=SOURCE_QR if visit.qr else SOURCE_LINK,
        expires=int(at.timestamp()) + EVENT_TTL_SECONDS,
        counted=counted,
        destination=redirect.destination if redirect is not None else DEFAULT,
        target=redirect.target if redirect is not None else "",
        created=link.created_at or "",
    )
