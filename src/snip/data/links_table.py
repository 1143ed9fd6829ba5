"""The links table: reading a link, a page of an owner's listing, changing and deleting a link.

Creating links (a pool key's claim, an alias, a batch) is ``snip.data.link_creation``; counting
a visit on a link with ``max_visits`` is ``snip.data.limited_visits``. Every write here is
decided even when its answer is lost (``snip.data.lost_writes``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from botocore.exceptions import ClientError

from snip.data import lost_writes
from snip.data.cancellations import CONDITION_FAILED as CANCELLED_ON_CONDITION
from snip.data.cancellations import cancellation
from snip.data.dependency_guard import CONDITION_FAILED, MAX_BATCH_GET, dependency_guard, error_code, old_item
from snip.data.item_codec import attribute_names, from_item, to_item
from snip.data.link_items import (
    BOT_VISITS,
    BY_OWNER_INDEX,
    BY_OWNER_SEARCH_INDEX,
    DELETE_MARKER,
    FIND_KEY,
    FOUND_IN,
    LISTED_AT,
    OWNER,
    TAGS,
    VISITS,
    link_of,
    values_of,
    with_search_changes,
)
from snip.domain.errors import DependencyUnavailable, InvalidInput, LinkChanged, LinkNotFound
from snip.domain.link import Link
from snip.domain.link_search import Search

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        KeysAndAttributesTypeDef,
        QueryInputTypeDef,
        TransactWriteItemTypeDef,
        UpdateItemInputTypeDef,
        UpdateTypeDef,
    )

    from snip.data.item_codec import Item

# What a delete removes: the destination, the listing's sort key and the owner's words, with the
# search texts made from them.
_GONE_WITH_THE_LINK = ("url", LISTED_AT, "title", "notes", *FOUND_IN.values())
_OWNED = "attribute_exists(#key) AND #owner = :owner AND attribute_not_exists(#deleted_at)"
MAX_LIST_ROUNDS = 5  # Queries per page when a tag filter skips entries
TAG_SCAN = 200  # index entries read per Query under a tag filter
# A search reads on until its page is full: SEARCH_SCAN entries first (a common term fills a page
# from few), four times as many each round after (DynamoDB stops each at 1 MB, about 3,500 entries
# of usual links), at most MAX_SEARCH_ROUNDS Queries; then the page comes back short, with a cursor.
SEARCH_SCAN, MAX_SEARCH_ROUNDS = 200, 10


@dataclass(frozen=True)
class StatusCondition:
    """What a change needs of the stored link so that a link with rules or a split keeps a status
    of 302 or 307 (``snip.operations.owner_links.rule_status_condition``): a condition expression
    added to the update's, its failure on a live link answered 400 invalid_rules."""

    expression: str
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, object] = field(default_factory=dict)

    @classmethod
    def without(cls, attributes: Collection[str]) -> StatusCondition:
        """The stored link has none of ``attributes`` (its rules, its split)."""
        return cls(
            " AND ".join(f"attribute_not_exists(#{name})" for name in attributes),
            attribute_names(*attributes),
        )

    @classmethod
    def redirecting_with(cls, statuses: Collection[int]) -> StatusCondition:
        """The stored link redirects with one of ``statuses``."""
        values: dict[str, object] = {f":status{i}": status for i, status in enumerate(statuses)}
        return cls(f"#redirect_status IN ({', '.join(values)})", attribute_names("redirect_status"), values)


def _changed(stored: Link, owner: str, changes: Mapping[str, object], removals: tuple[str, ...]) -> bool:
    """Whether the owner's live link shows ``changes`` made and ``removals`` gone."""
    values = values_of(stored)
    return (
        stored.live_for(owner)
        and all(values.get(name) == value for name, value in changes.items())
        and not any(name in values for name in removals)
    )


def _filter(owner: str, tag: str | None, search: Search | None) -> tuple[dict[str, str], Item, str | None]:
    """The names, values and filter of an owner's Query: by tag, by search, by both, or none."""
    names = attribute_names("key", OWNER, LISTED_AT)
    values: dict[str, object] = {":owner": owner}
    conditions = []
    if tag:
        names |= attribute_names(TAGS)
        values[":tag"] = tag
        conditions.append(f"contains(#{TAGS}, :tag)")
    if search:
        names |= attribute_names(*FOUND_IN.values())
        values[":term"] = search.term
        # A link made before the search texts existed has none: a candidate, the read decides.
        found = [f"attribute_not_exists(#{FIND_KEY})"]
        found += [f"contains(#{name}, :term)" for name in FOUND_IN.values()]
        if search.key is not None:
            values[":pasted"] = search.key
            found.append("#key = :pasted")
        conditions.append("(" + " OR ".join(found) + ")")
    return names, to_item(values), " AND ".join(conditions) or None


def _count(values: Mapping[str, object], name: str) -> int:
    value = values.get(name)
    return value if isinstance(value, int) else 0


class LinksTable:
    def __init__(self, client: DynamoDBClient, links_table: str) -> None:
        self.client = client
        self.links_table = links_table

    def get_link(self, key: str, *, consistent: bool) -> Link | None:
        with dependency_guard():
            response = self.client.get_item(
                TableName=self.links_table, Key=to_item({"key": key}), ConsistentRead=consistent
            )
        item = response.get("Item")
        return link_of(item) if item else None

    def get_links(self, keys: list[str]) -> dict[str, Link]:
        """The links under ``keys`` (at most 100), strongly consistent, in one BatchGetItem (plus
        one per round of keys DynamoDB leaves unprocessed, a few at most)."""
        if len(keys) > MAX_BATCH_GET:
            raise ValueError(f"at most {MAX_BATCH_GET} keys")
        found: dict[str, Link] = {}
        pending: Mapping[str, KeysAndAttributesTypeDef] = {
            self.links_table: {"Keys": [to_item({"key": key}) for key in keys], "ConsistentRead": True}
        }
        for _ in range(5):
            if not self._unread(pending):
                return found
            with dependency_guard():
                response = self.client.batch_get_item(RequestItems=pending)
            for item in response.get("Responses", {}).get(self.links_table, []):
                link = link_of(item)
                found[link.key] = link
            # Sent again as DynamoDB gives it back (the keys, and ConsistentRead as asked).
            pending = cast("Mapping[str, KeysAndAttributesTypeDef]", response.get("UnprocessedKeys") or {})
        if self._unread(pending):
            raise DependencyUnavailable("DynamoDB left keys of the batch unread")
        return found

    def _unread(self, pending: Mapping[str, KeysAndAttributesTypeDef]) -> bool:
        entry = pending.get(self.links_table)
        return entry is not None and bool(entry.get("Keys"))

    def owner_page(
        self,
        owner: str,
        after: str | None,
        limit: int,
        tag: str | None,
        *,
        oldest: bool = False,
        search: Search | None = None,
    ) -> tuple[list[tuple[str, str]], str | None]:
        """Up to ``limit`` entries (key, listed_at) of the owner's index, newest first (``oldest``:
        oldest first), after the position ``after`` (a listed_at); and the position to go on
        from, None at the end.

        With a tag, the Query filters on the projected tags: a page read may match fewer than
        asked, so it reads on, at most ``MAX_LIST_ROUNDS`` Queries of ``TAG_SCAN`` entries; if
        that was not enough, the page comes back short and the position says where to go on. A
        search reads the search index, filtered on its folded texts (``_search_filter``), in
        growing Queries (``SEARCH_SCAN``, ``MAX_SEARCH_ROUNDS``). A filter spares no read: every
        entry a Query looks at is paid for, matched or not.
        """
        entries: list[tuple[str, str]] = []
        start = after
        rounds, scan = (MAX_SEARCH_ROUNDS, SEARCH_SCAN) if search else (MAX_LIST_ROUNDS, TAG_SCAN)
        names, values, condition = _filter(owner, tag, search)
        for round_ in range(rounds):
            args: QueryInputTypeDef = {
                "TableName": self.links_table,
                "IndexName": BY_OWNER_SEARCH_INDEX if search else BY_OWNER_INDEX,
                "KeyConditionExpression": f"#{OWNER} = :owner",
                "ScanIndexForward": oldest,
                # One more than the page: if it is there, the page is not the last.
                "Limit": scan * 4**round_ if search else TAG_SCAN if tag else limit + 1 - len(entries),
                # The keys alone come back (the page's links are read whole from the table).
                "ProjectionExpression": f"#key, #{LISTED_AT}",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
            if condition:
                args["FilterExpression"] = condition
            if start:
                args["ExclusiveStartKey"] = to_item(
                    {OWNER: owner, LISTED_AT: start, "key": start.rpartition("#")[2]}
                )
            with dependency_guard():
                response = self.client.query(**args)
            entries += [(i["key"]["S"], i[LISTED_AT]["S"]) for i in response.get("Items", [])]
            last = response.get("LastEvaluatedKey")
            start = last[LISTED_AT]["S"] if last else None
            if len(entries) > limit or start is None:
                break
        if len(entries) > limit:
            return entries[:limit], entries[limit - 1][1]
        return entries, start

    def owner_tally(self, owner: str, before: str | None = None) -> list[tuple[str, int, int]]:
        """Every live link of the owner (created before ``before``, if given), newest first, as
        (key, visits, bot visits) that earlier versions counted on the link's item (frozen since):
        the (whole) partition of the search index, in Queries of up to 1 MB (about 3,500 entries
        each), eventually consistent."""
        tally: list[tuple[str, int, int]] = []
        start: Mapping[str, AttributeValueTypeDef] | None = None
        condition, bound = f"#{OWNER} = :owner", dict[str, object]({":owner": owner})
        if before is not None:
            condition, bound = condition + f" AND #{LISTED_AT} < :before", bound | {":before": before}
        while True:
            args: QueryInputTypeDef = {
                "TableName": self.links_table,
                "IndexName": BY_OWNER_SEARCH_INDEX,
                "KeyConditionExpression": condition,
                "ScanIndexForward": False,
                "ProjectionExpression": f"#key, #{VISITS}, #{BOT_VISITS}",
                "ExpressionAttributeNames": attribute_names("key", OWNER, VISITS, BOT_VISITS)
                | ({f"#{LISTED_AT}": LISTED_AT} if before is not None else {}),
                "ExpressionAttributeValues": to_item(bound),
            }
            if start:
                args["ExclusiveStartKey"] = start
            with dependency_guard():
                response = self.client.query(**args)
            for item in response.get("Items", []):
                values = from_item(item)
                tally.append((str(values["key"]), _count(values, VISITS), _count(values, BOT_VISITS)))
            start = response.get("LastEvaluatedKey")
            if not start:
                return tally

    def count_links(self, owner: str) -> int:
        """How many live links the owner has: Queries of the ``by_owner`` index that count its
        entries (Select COUNT: nothing is returned, the entries read are paid), eventually
        consistent."""
        counted = 0
        start: Mapping[str, AttributeValueTypeDef] | None = None
        while True:
            args: QueryInputTypeDef = {
                "TableName": self.links_table,
                "IndexName": BY_OWNER_INDEX,
                "KeyConditionExpression": f"#{OWNER} = :owner",
                "Select": "COUNT",
                "ExpressionAttributeNames": attribute_names(OWNER),
                "ExpressionAttributeValues": to_item({":owner": owner}),
            }
            if start:
                args["ExclusiveStartKey"] = start
            with dependency_guard():
                response = self.client.query(**args)
            counted += int(response.get("Count", 0))
            start = response.get("LastEvaluatedKey")
            if not start:
                return counted

    def lookup(self, key: str) -> Link | None:
        """The item as it is now (strongly consistent), or None if it cannot be read either."""
        return lost_writes.readable(lambda: self.get_link(key, consistent=True))

    def update_link(
        self,
        key: str,
        owner: str,
        changes: Mapping[str, object],
        removals: tuple[str, ...] = (),
        condition: StatusCondition | None = None,
        *,
        unchanged: Mapping[str, object] | None = None,
    ) -> Link:
        """Set ``changes`` and remove ``removals`` on the owner's live link; LinkNotFound otherwise,
        and InvalidInput (invalid_rules) if the live link fails ``condition``. With ``unchanged``
        (attribute -> the value read, None: absent), only while the link still holds those:
        LinkChanged, with the link as it is now, if it does not.

        Sent twice it does the same thing twice (no counter, no condition on what it sets), so a
        lost answer needs no marker: the SDK's retry answers what the first attempt did. If every
        attempt's answer was lost, the link is read: showing the change, it is the answer.
        """
        changes, removals = with_search_changes(changes, removals)
        held = dict(unchanged or {})
        names = attribute_names("key", "owner", "deleted_at", *changes, *removals, *held)
        plain_values: dict[str, object] = {
            ":owner": owner,
            **{f":{k}": v for k, v in changes.items()},
            **{f":was_{k}": v for k, v in held.items()},
        }
        expected = " AND ".join(
            [
                _OWNED,
                *(
                    f"attribute_not_exists(#{k})" if v is None else f"#{k} = :was_{k}"
                    for k, v in held.items()
                ),
            ]
        )
        if condition is not None:
            names |= condition.names
            plain_values |= condition.values
            expected = f"{expected} AND ({condition.expression})"
        values = to_item(plain_values)
        expression = ""
        if changes:
            expression += "SET " + ", ".join(f"#{k} = :{k}" for k in changes)
        if removals:
            expression += " REMOVE " + ", ".join(f"#{k}" for k in removals)
        try:
            with dependency_guard():
                response = self.client.update_item(
                    TableName=self.links_table,
                    Key=to_item({"key": key}),
                    UpdateExpression=expression.strip(),
                    ConditionExpression=expected,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                    # A failure answers what is there now: which condition failed is read from it.
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except DependencyUnavailable as error:
            stored = self.lookup(key) if error.ambiguous else None
            if stored is None or not _changed(stored, owner, changes, removals):
                raise
            return stored
        except ClientError as error:
            if error_code(error) != CONDITION_FAILED:
                raise
            old = old_item(error)
            if old is not None and link_of(old).live_for(owner):
                stored_link = link_of(old)
                if held and any(values_of(stored_link).get(k) != v for k, v in held.items()):
                    raise LinkChanged(stored_link) from error
                if condition is not None:
                    raise InvalidInput(
                        "rules: a link with rules or a split redirects with 302 or 307.", code="invalid_rules"
                    ) from error
            raise LinkNotFound("No link with this key.") from error
        return link_of(response["Attributes"])

    def delete_link(
        self,
        key: str,
        owner: str,
        deleted_at: str,
        marker: str,
        also: Sequence[TransactWriteItemTypeDef] = (),
    ) -> None:
        """Turn the owner's live link into a tombstone that bears ``marker``; LinkNotFound otherwise.
        With ``also`` (the freeze of the link's counters item and its GoneEvent:
        ``snip.data.owner_totals.deletion``), all of them in one TransactWriteItems, whose token
        comes from the marker.

        A repeat of this very delete (its first answer lost) fails the condition on a tombstone
        with our marker: that is the delete succeeding, not a link that was never there.
        """

        def mine(stored: Link) -> bool:
            return stored.owner == owner and stored.delete_marker == marker

        tombstone: UpdateItemInputTypeDef = {
            "TableName": self.links_table,
            "Key": to_item({"key": key}),
            "UpdateExpression": "SET #deleted_at = :deleted_at, #delete_marker = :marker "
            # Out of the owner's listing and searches too; the owner's words go with the url.
            f"REMOVE {', '.join(f'#{name}' for name in _GONE_WITH_THE_LINK)}",
            "ConditionExpression": _OWNED,
            "ExpressionAttributeNames": attribute_names(
                "key", "owner", "deleted_at", DELETE_MARKER, *_GONE_WITH_THE_LINK
            ),
            "ExpressionAttributeValues": to_item(
                {":owner": owner, ":deleted_at": deleted_at, ":marker": marker}
            ),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if also:
            token = hashlib.sha256(f"delete/{key}/{marker}".encode()).hexdigest()[:36]
            send: Callable[[], object] = lambda: self.client.transact_write_items(  # noqa: E731
                TransactItems=[{"Update": cast("UpdateTypeDef", tombstone)}, *also], ClientRequestToken=token
            )
        else:
            send = lambda: self.client.update_item(**tombstone)  # noqa: E731
        try:
            lost_writes.send_once(send, lambda: (stored := self.lookup(key)) is not None and mine(stored))
        except ClientError as error:
            if also:
                cancelled = cancellation(error)
                if cancelled.code(0) != CANCELLED_ON_CONDITION:
                    raise cancelled.unavailable("delete") from error
                old = cancelled.raw_item(0)
            elif error_code(error) != CONDITION_FAILED:
                raise
            else:
                old = old_item(error)
            read = lambda: self.get_link(key, consistent=True)  # noqa: E731
            if old and lost_writes.failed_on_own(link_of(old), read, mine):
                return
            raise LinkNotFound("No link with this key.") from error
