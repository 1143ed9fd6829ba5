"""Links: creating, reading, listing, changing and deleting them, for their owner.

What a link holds is ``snip.domain.link.Link``; what the API shows of it is ``view`` (never the
markers that decide a write whose answer was lost, nor ``listed_at``).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Protocol

from snip.data.create_records import CreateRecord
from snip.data.key_pool_table import KeyPoolTable
from snip.data.link_creation import LinkCreation
from snip.data.link_items import FORWARD_QUERY, RULES, SPLIT, rule_values
from snip.data.links_table import LinksTable, StatusCondition
from snip.domain import clock, redirect_rules
from snip.domain.bulk_request import BulkRequest
from snip.domain.errors import AliasTaken, InvalidInput, KeyTaken, LinkNotFound
from snip.domain.link import Link
from snip.domain.link_request import NOT_NULLABLE_ON_PATCH, LinkRequest, check_rule_status
from snip.domain.link_search import ORDERS, Search
from snip.domain.redirect_rules import RedirectRule, SplitTarget
from snip.domain.short_keys import is_possible_key
from snip.domain.stats import LinkCounts, with_counts
from snip.domain.validation import normalize_tag, server_address
from snip.operations.key_pool import Claim, KeyPool
from snip.settings import get_settings


def view(link: Link, base_url: str, *, detail: bool) -> dict[str, object]:
    """The link as the API shows it (creation fields, counters, and for ``detail`` the rest)."""
    shown: dict[str, object] = {
        "key": link.key,
        "url": link.url,
        "created_at": link.created_at,
        "expires_at": link.expires_at,
        "max_visits": link.max_visits,
        "redirect_status": link.redirect_status,
        "short_url": f"{base_url}/{link.key}",
        "tags": list(link.tags or []),
        "title": link.title,
        "notes": link.notes,
        "rules": redirect_rules.rules_json(link.rules),
        "split": redirect_rules.split_json(link.split),
        "forward_query": link.forward_query,
        "visits": link.visits,
    }
    if detail:
        shown["bot_visits"] = link.bot_visits
        shown["last_visit_at"] = link.last_visit_at
        shown["disabled"] = link.disabled
    return shown


def _reject_self_reference(url: str, own_hosts: Collection[str]) -> None:
    """``own_hosts`` holds Snip's own ``server_address`` values: a link to one would loop."""
    if server_address(url) in own_hosts:
        raise InvalidInput("url must not point at this shortener.", code="invalid_url")


def _reject_self_targets(
    rules: Sequence[RedirectRule] | None, split: Sequence[SplitTarget] | None, own_hosts: Collection[str]
) -> None:
    """Every target of the rules and the split is held to ``url``'s self-reference rule."""
    groups: tuple[tuple[str, Sequence[RedirectRule | SplitTarget]], ...] = (
        ("rules", rules or ()),
        ("split", split or ()),
    )
    for field, targets in groups:
        for index, target in enumerate(targets):
            if server_address(target.url) in own_hosts:
                raise InvalidInput(
                    f"{field}[{index}].url must not point at this shortener.", code=f"invalid_{field}"
                )


def new_link_fields(owner: str, request: LinkRequest, own_hosts: Collection[str]) -> Link:
    """Everything of a new link but its key (empty: each key tried is given by ``with_key``),
    for a create and a batch item alike."""
    _reject_self_reference(request.url, own_hosts)
    _reject_self_targets(request.rules, request.split, own_hosts)
    return Link(
        key="",
        owner=owner,
        url=request.url,
        created_at=clock.now_ts(),
        expires_at=request.expires_at,
        max_visits=request.max_visits,
        redirect_status=request.redirect_status,
        tags=tuple(request.tags),
        title=request.title,
        notes=request.notes,
        visits=0,
        bot_visits=0,
        disabled=False,
        rules=request.rules,
        split=request.split,
        forward_query=request.forward_query,
        # This create's own mark: a repeat of its write recognises the link as its own.
        create_marker=secrets.token_urlsafe(12),
    )


RULE_FIELDS = ("rules", "split")


def _rule_attributes(given: Mapping[str, object]) -> dict[str, object]:
    """The item attributes a PATCH's rules, split and forward_query become (None: removed, as
    ``[]``, null and false are)."""
    encoded = rule_values(
        given.get("rules") or (),  # type: ignore[arg-type]
        given.get("split") or (),  # type: ignore[arg-type]
        given.get("forward_query") is True,
    )
    return {name: encoded[name] for name in (RULES, SPLIT, FORWARD_QUERY) if name in given}


def rule_status_condition(status: int | None, given: Mapping[str, object]) -> StatusCondition | None:
    """What a PATCH needs of the stored link so that a link with rules or a split keeps redirecting
    with 302 or 307 (``redirect_status`` given as ``status`` or not, ``given`` the rules and split
    it names): none, a condition on the item (None: no condition), or 400 invalid_rules at once."""
    setting = [name for name, value in given.items() if value]
    if status is not None:
        if status in redirect_rules.RULE_STATUSES:
            return None
        check_rule_status(status, tuple(setting), ())
        kept = [name for name in RULE_FIELDS if name not in given]
        return StatusCondition.without(kept) if kept else None
    return StatusCondition.redirecting_with(redirect_rules.RULE_STATUSES) if setting else None


_LISTED_AT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ#[A-Za-z0-9_-]{1,64}", re.ASCII)


# A cursor of an oldest-first listing says so ("a": ascending); one of a newest-first listing
# carries only the owner and the position, as every cursor did before there was an order.
_ASCENDING = {"a": 1}


def make_cursor(owner: str, position: str, *, oldest: bool = False) -> str:
    """The opaque cursor of a position in the owner's listing: base64url of JSON that names the
    owner it was made for, so that a cursor handed to another owner is refused, never read, and
    the order it goes in, so that it never goes on in the other."""
    fields = {"o": owner, "p": position, **(_ASCENDING if oldest else {})}
    raw = json.dumps(fields, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_cursor(cursor: str, owner: str, *, oldest: bool = False) -> str:
    """The position a cursor names, if it is one this owner was given for this order; else 400
    invalid_cursor.

    Whatever it says, the Query stays in the caller's own partition: a forged position can at
    worst start the caller's own listing at another place.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = json.loads(raw.decode("utf-8"))
        valid = (
            isinstance(decoded, dict)
            and set(decoded) - set(_ASCENDING) == {"o", "p"}
            and {k: decoded[k] for k in _ASCENDING if k in decoded} == (_ASCENDING if oldest else {})
            and decoded["o"] == owner
            and isinstance(decoded["p"], str)
            and _LISTED_AT.fullmatch(decoded["p"]) is not None
            and base64.urlsafe_b64encode(raw).decode().rstrip("=") == cursor
        )
    except (ValueError, UnicodeDecodeError, RecursionError):
        valid = False
    if not valid:
        raise InvalidInput("cursor: not a cursor this API gave you.", code="invalid_cursor")
    return str(decoded["p"])


class CountsReader(Protocol):
    def counts(self, keys: Sequence[str]) -> dict[str, LinkCounts]: ...


class Links:
    def __init__(
        self,
        table: LinksTable,
        creation: LinkCreation,
        pool_table: KeyPoolTable,
        pool: KeyPool,
        counts: Callable[[], CountsReader] | None = None,
    ) -> None:
        self._table = table
        self._creation = creation
        self._pool_table = pool_table
        self._pool = pool
        # The links' counters items (snip.data.rollups_table), built on first use: a create never
        # loads it. None: none kept.
        self._counts = counts

    def _counted(self, links: Mapping[str, Link]) -> dict[str, Link]:
        """``links`` with their counters (kept in an item of their own, read in one batch)."""
        found = self._counts().counts(list(links)) if self._counts is not None and links else {}
        return {key: with_counts(link, found.get(key)) for key, link in links.items()}

    def create(
        self,
        owner: str,
        request: LinkRequest,
        base_url: str,
        own_hosts: Collection[str],
        record: CreateRecord | None = None,
    ) -> tuple[dict[str, object], Claim | None]:
        """A new link; with an Idempotency-Key's ``record``, written with the link's key in it, or
        the link an earlier attempt of the same request wrote before it died (never a second)."""
        if record is not None and record.earlier_key is not None:
            earlier = self._table.get_link(record.earlier_key, consistent=True)
            if earlier is not None and earlier.owner == owner:
                return view(earlier, base_url, detail=False), None
        fields = new_link_fields(owner, request, own_hosts)
        if request.alias is not None:
            link = fields.with_key(request.alias)
            try:
                self._creation.put_link(link, record)
            except KeyTaken:
                raise AliasTaken(f"The alias '{request.alias}' is taken.") from None
            return view(link, base_url, detail=False), None
        claim = self._pool.claim(fields.with_key, record)
        return view(fields.with_key(claim.key), base_url, detail=False), claim

    def create_batch(
        self,
        owner: str,
        bodies: Sequence[object],
        base_url: str,
        own_hosts: Collection[str],
        record: CreateRecord | None = None,
    ) -> list[dict[str, object]]:
        """POST /links/batch: each body created on its own (``snip.operations.batch_create``)."""
        from snip.operations.batch_create import create_batch

        return create_batch(
            self._creation, self._pool_table, self._pool, owner, bodies, base_url, own_hosts, record
        )

    def page(
        self,
        owner: str,
        base_url: str,
        limit: int,
        cursor: str | None,
        tag: str | None,
        q: str | None = None,
        order: str = "newest",
    ) -> dict[str, object]:
        """GET /links: a page of the owner's live links, newest first (or oldest first), those
        with ``tag`` and those ``q`` finds (``snip.domain.link_search``), and the next cursor.

        The owner's index gives the page's keys (deleted links are not in it); the links
        themselves are read in one consistent BatchGetItem, so a page shows each link as it is
        now, and one deleted, changed away from ``tag`` or from what ``q`` finds, or gone to
        another owner since the index was written (it follows the table within about a second)
        is left out.
        """
        if tag is not None:
            try:
                tag = normalize_tag(tag)
            except ValueError as error:
                raise InvalidInput(f"tag: {error}.", code="invalid_tags") from None
        if order not in ORDERS:
            raise InvalidInput("order: newest or oldest.", code="invalid_order")
        oldest = order == "oldest"
        search = Search.parse(q) if q is not None else None
        after = read_cursor(cursor, owner, oldest=oldest) if cursor is not None else None
        entries, position = self._table.owner_page(owner, after, limit, tag, oldest=oldest, search=search)
        found = self._counted(self._table.get_links([key for key, _ in entries]) if entries else {})
        shown = []
        for key, _ in entries:
            link = found.get(key)
            if link is None or not link.live_for(owner):
                continue
            if tag is not None and tag not in (link.tags or ()):
                continue
            if search is not None and not search.matches(link):
                continue
            shown.append(view(link, base_url, detail=True))
        next_cursor = make_cursor(owner, position, oldest=oldest) if position else None
        return {"links": shown, "next_cursor": next_cursor}

    def get(self, owner: str, key: str, base_url: str) -> dict[str, Any]:  # shorten reads short_url
        link = self._table.get_link(key, consistent=True) if is_possible_key(key) else None
        if link is None or not link.live_for(owner):
            raise LinkNotFound("No link with this key.")
        return view(self._counted({key: link})[key], base_url, detail=True)

    def update(
        self, owner: str, key: str, given: Mapping[str, object], base_url: str, own_hosts: Collection[str]
    ) -> dict[str, object]:
        """PATCH: ``given`` holds the fields the request named (null: clear it, where allowed)."""
        if not is_possible_key(key):
            raise LinkNotFound("No link with this key.")
        for name in NOT_NULLABLE_ON_PATCH:
            if name in given and given[name] is None:
                raise InvalidInput(f"{name} cannot be null.", code=f"invalid_{name}")
        url = given.get("url")
        if isinstance(url, str) and url:
            _reject_self_reference(url, own_hosts)
        rules, split = given.get("rules"), given.get("split")
        _reject_self_targets(rules, split, own_hosts)  # type: ignore[arg-type]
        if not given:
            return self.get(owner, key, base_url)
        status = given.get("redirect_status")
        condition = rule_status_condition(
            status if isinstance(status, int) else None,
            {name: given[name] for name in RULE_FIELDS if name in given},
        )
        given = {**given, **_rule_attributes(given)}
        changes = {k: v for k, v in given.items() if v is not None}
        removals = tuple(k for k, v in given.items() if v is None)
        link = self._table.update_link(key, owner, changes, removals, condition)
        return view(self._counted({key: link})[key], base_url, detail=True)

    def bulk(self, owner: str, request: BulkRequest, base_url: str) -> list[dict[str, object]]:
        """POST /links/bulk: each key's outcome in request order (``snip.operations.bulk_changes``):
        ``{"key", "link"}`` changed, ``{"key"}`` deleted, or ``{"key", "error"}`` (a SnipError)."""
        from snip.operations.bulk_changes import change_each

        results: list[dict[str, object]] = []
        for key, outcome in change_each(self._table, owner, request, self.delete, self._counted):
            if isinstance(outcome, Link):
                results.append({"key": key, "link": view(outcome, base_url, detail=True)})
            else:
                results.append({"key": key} if outcome is None else {"key": key, "error": outcome})
        return results

    def export(self, owner: str, base_url: str, fmt: str, cursor: str | None) -> tuple[str, str | None]:
        """GET /links/export: one answer's body and the next answer's cursor
        (``snip.operations.owner_export``)."""
        from snip.operations.owner_export import export_page

        return export_page(self._table, self._counted, owner, base_url, fmt, cursor)

    def summary(self, owner: str) -> dict[str, object]:
        """GET /links/summary (``snip.operations.owner_summary``)."""
        from snip.data.owner_totals import owners_table
        from snip.operations.owner_summary import summarize

        counts = self._counts().counts if self._counts is not None else None
        return summarize(self._table, counts, owner, owners_table() if counts is not None else None)

    def delete(self, owner: str, key: str) -> None:
        """Leave a tombstone: the key answers 410 and is never issued again. In the same
        transaction, the link's counters item is frozen and its GoneEvent written, so that the
        pipeline takes its counts off its owner's totals (``snip.data.owner_totals``)."""
        from snip.data.owner_totals import deletion

        if not is_possible_key(key):
            raise LinkNotFound("No link with this key.")
        link = self._table.get_link(key, consistent=True)
        if link is None or not link.live_for(owner):
            raise LinkNotFound("No link with this key.")
        deleted_at, marker = clock.now_ts(), secrets.token_urlsafe(12)
        settings = get_settings()
        also = deletion(
            key,
            owner,
            link.created_at or "",
            deleted_at,
            marker,
            settings.rollups_table,
            settings.visits_table,
        )
        self._table.delete_link(key, owner, deleted_at, marker, also)
