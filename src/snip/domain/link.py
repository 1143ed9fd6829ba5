"""A link as the code names it: every attribute a link item carries, typed.

Made from a DynamoDB item, and turned into one, only by the data package
(``snip.data.link_items``); everything above it (operations, the liveness rule, the stats) takes
a ``Link``. The API's JSON view of it is ``snip.operations.owner_links.view``. Slotted and frozen,
plain standard library: resolve's cold path imports it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # made by snip.domain.redirect_rules, imported where a link has some
    from snip.domain.redirect_rules import RedirectRule, SplitTarget


@dataclass(frozen=True, slots=True)
class Link:
    """A short link. An attribute the item lacks is None here, but for the counters (0), the
    ``disabled`` flag (False), ``recent_visits``, ``rules`` and ``split`` (empty) and ``forward_query``
    (False), which read as a missing one reads.

    The counters are the link item's own (what earlier versions counted there); what is counted
    now is on its counters item, added by ``snip.domain.stats.with_counts`` wherever a link is
    shown. A tombstone (a deleted link: ``deleted_at`` set) keeps its key, owner and counters; its
    ``url`` and ``listed_at`` are gone. The create and delete markers decide a write whose answer
    was lost (``snip.data.lost_writes``); ``recent_visits`` are earlier versions' visit markers,
    read and never written; the API never shows them.
    """

    key: str
    url: str | None = None
    owner: str | None = None
    created_at: str | None = None  # RFC 3339, UTC, seconds (``clock.now_ts``)
    expires_at: str | None = None  # as created_at; the link stops redirecting then
    max_visits: int | None = None  # redirects ever, preview bots' aside
    redirect_status: int | None = None
    tags: tuple[str, ...] | None = None
    title: str | None = None  # the owner's name for it, never shown to visitors
    notes: str | None = None  # the owner's notes
    visits: int = 0  # people's visits
    bot_visits: int = 0  # link-preview bots' visits
    last_visit_at: str | None = None  # a person's latest visit
    disabled: bool = False
    deleted_at: str | None = None  # set: a tombstone (the key answers 410, never issued again)
    listed_at: str | None = None  # "<created_at>#<key>", the owner's listing's sort key, while live
    create_marker: str | None = None  # the request that created it
    delete_marker: str | None = None  # on a tombstone: the request that deleted it
    recent_visits: frozenset[str] = frozenset()  # earlier versions' visit markers (never written now)
    # Where a visitor goes instead of ``url`` (CONTRACT §2, "Redirect rules"): none when empty.
    rules: tuple[RedirectRule, ...] = ()
    split: tuple[SplitTarget, ...] = ()
    forward_query: bool = False  # the short URL's query (less ``qr``) passed on to the destination

    def with_key(self, key: str) -> Link:
        """This link under ``key`` (a new link's fields are made before its key is known)."""
        return replace(self, key=key)

    def live_for(self, owner: str) -> bool:
        """Whether this is ``owner``'s link and not deleted (what the owner may read and change)."""
        return self.owner == owner and self.deleted_at is None
