"""Link items: the one place a DynamoDB item becomes a ``snip.domain.link.Link`` and a ``Link``
an item, and the attribute names the data package, the deployment (``snip_deploy.tables``: the
owner index, IAM's attribute lists) and the tests share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from snip.data.item_codec import from_item, text, texts, to_item
from snip.domain.link import Link
from snip.domain.link_search import search_texts

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

    from snip.data.item_codec import Item
    from snip.domain.redirect_rules import RedirectRule, SplitTarget

# The markers that let a repeated write recognise its own earlier attempt (snip.data.lost_writes).
CREATE_MARKER = "create_marker"  # on a link: the request that created it
DELETE_MARKER = "delete_marker"  # on a tombstone: the request that deleted it
# Left on links by earlier versions, which counted a link with max_visits on its own item: the
# markers of the visits counted lately (read, never written now).
RECENT_VISITS = "recent_visits"
# The counts earlier versions kept on the link's item (frozen since: the counters item holds
# what is counted now, snip.data.counter_items; readers add both, snip.domain.stats.with_counts).
VISITS, BOT_VISITS, LAST_VISIT_AT = "visits", "bot_visits", "last_visit_at"
VISIT_COUNTERS = (VISITS, BOT_VISITS, LAST_VISIT_AT)

# The owner's listing (GET /links) reads the links table's index BY_OWNER_INDEX (defined with
# the table in snip_deploy.tables): partition OWNER, sort LISTED_AT = "<created_at>#<key>",
# written with the link and removed by its delete (tombstones leave the index).
OWNER, TAGS, LISTED_AT = "owner", "tags", "listed_at"
BY_OWNER_INDEX = "by_owner"
# A search (GET /links?q=) reads the index BY_OWNER_SEARCH_INDEX: the same keys, and besides the
# tags the folded texts a search looks in (snip.domain.link_search.search_texts), written with the
# link and with every change of the field each is made from. by_owner's projection cannot grow in
# place (DynamoDB changes no index's projection), so the search has an index of its own.
BY_OWNER_SEARCH_INDEX = "by_owner_search"
FOUND_IN = {"key": "find_key", "url": "find_url", "title": "find_title", "tags": "find_tags"}
FIND_KEY = FOUND_IN["key"]  # written with the link only: its absence marks a link made before
# Redirect rules and a split: each one compact JSON string (``redirect_rules.encode``), absent when
# there are none; forward_query a BOOL, absent when false. A bare link's item is as it always was.
RULES, SPLIT, FORWARD_QUERY = "rules", "split", "forward_query"


def listed_at(created_at: str, key: str) -> str:
    return f"{created_at}#{key}"


def _number(values: Mapping[str, object], name: str) -> int | None:
    value = values.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def search_values(
    key: str | None = None,
    url: str | None = None,
    title: str | None = None,
    tags: Iterable[str] | None = None,
) -> dict[str, str]:
    """The search attributes for the fields given (None: not given), as an item holds them."""
    return {FOUND_IN[name]: text for name, text in search_texts(key, url, title, tags).items()}


def with_search_changes(
    changes: Mapping[str, object], removals: tuple[str, ...]
) -> tuple[dict[str, object], tuple[str, ...]]:
    """A change of a link (attributes to set, attributes to remove) with the change of the search
    attributes made from them, so that one UpdateItem keeps both in step."""
    url, title, tags = (changes.get(name) for name in ("url", "title", "tags"))
    found = search_values(
        url=url if isinstance(url, str) else None,
        title=title if isinstance(title, str) else None,
        tags=tags if isinstance(tags, list | tuple) else None,
    )
    removed = (FOUND_IN["title"],) if "title" in removals else ()
    return {**changes, **found}, (*removals, *removed)


def link_of(item: Mapping[str, AttributeValueTypeDef]) -> Link:
    """The link a link item (DynamoDB's typed JSON, as read) holds."""
    values = from_item(item)
    tags = texts(values, TAGS)
    rules, split = _rules_of(values)
    return Link(
        key=str(values["key"]),
        url=text(values, "url"),
        owner=text(values, OWNER),
        created_at=text(values, "created_at"),
        expires_at=text(values, "expires_at"),
        max_visits=_number(values, "max_visits"),
        redirect_status=_number(values, "redirect_status"),
        tags=None if tags is None else tuple(tags),
        title=text(values, "title"),
        notes=text(values, "notes"),
        visits=_number(values, VISITS) or 0,
        bot_visits=_number(values, BOT_VISITS) or 0,
        last_visit_at=text(values, LAST_VISIT_AT),
        disabled=values.get("disabled") is True,
        deleted_at=text(values, "deleted_at"),
        listed_at=text(values, LISTED_AT),
        create_marker=text(values, CREATE_MARKER),
        delete_marker=text(values, DELETE_MARKER),
        recent_visits=frozenset(texts(values, RECENT_VISITS) or ()),
        rules=rules,
        split=split,
        forward_query=values.get(FORWARD_QUERY) is True,
    )


def _rules_of(values: Mapping[str, object]) -> tuple[tuple[RedirectRule, ...], tuple[SplitTarget, ...]]:
    """The rules and split an item holds; ``snip.domain.redirect_rules`` is imported only for an
    item that has some (resolve's cold start, on a bare link, never loads it)."""
    rules, split = text(values, RULES), text(values, SPLIT)
    if not (rules or split):
        return (), ()
    from snip.domain.redirect_rules import decode_rules, decode_split

    return decode_rules(rules), decode_split(split)


def values_of(link: Link) -> dict[str, object]:
    """The link's attributes as Python values, as ``item_codec.from_item`` reads them back
    (tags a list, the visit markers a set; an attribute that is None is absent)."""
    values: dict[str, object] = {
        "key": link.key,
        "url": link.url,
        OWNER: link.owner,
        "created_at": link.created_at,
        "expires_at": link.expires_at,
        "max_visits": link.max_visits,
        "redirect_status": link.redirect_status,
        TAGS: None if link.tags is None else list(link.tags),
        "title": link.title,
        "notes": link.notes,
        VISITS: link.visits,
        BOT_VISITS: link.bot_visits,
        LAST_VISIT_AT: link.last_visit_at,
        "disabled": link.disabled,
        "deleted_at": link.deleted_at,
        LISTED_AT: link.listed_at,
        CREATE_MARKER: link.create_marker,
        DELETE_MARKER: link.delete_marker,
        RECENT_VISITS: set(link.recent_visits) or None,  # DynamoDB has no empty set
        **rule_values(link.rules, link.split, link.forward_query),
    }
    if link.listed_at is not None:  # a live link: a tombstone is found by no search
        values |= search_values(link.key, link.url, link.title, link.tags or ())
    return {name: value for name, value in values.items() if value is not None}


def rule_values(
    rules: Sequence[RedirectRule], split: Sequence[SplitTarget], forward_query: bool
) -> dict[str, object]:
    """The attributes that keep a link's rules, split and forward_query (None: absent)."""
    found: dict[str, object] = {RULES: None, SPLIT: None, FORWARD_QUERY: True if forward_query else None}
    if rules or split:
        from snip.domain.redirect_rules import encode

        found |= {RULES: encode(rules), SPLIT: encode(split)}
    return found


def item_of(link: Link) -> Item:
    """The link item (DynamoDB's typed JSON) a write puts."""
    return to_item(values_of(link))
