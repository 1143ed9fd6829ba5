"""Creating links: under a key claimed from the key pool (the pool item's Delete and the link's
Put in one transaction), under an alias or a key generated on the spot (a conditional Put), and a
batch's links in a few transactions.

Every create is decided even when its answer is lost and it is sent again, by botocore's retries
(inside one call) or by us: the link carries a ``create_marker`` of the request that wrote it,
conditional writes return the item they failed on (ALL_OLD), and a write that failed on its own
marker met its own earlier attempt, so it succeeded (``snip.data.lost_writes``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from snip.data import lost_writes
from snip.data.cancellations import CONDITION_FAILED, CONFLICT, Cancellation, cancellation
from snip.data.create_records import CreateRecord
from snip.data.dependency_guard import CONDITION_FAILED as PUT_CONDITION_FAILED
from snip.data.dependency_guard import MAX_TRANSACTION_ITEMS, error_code, old_item
from snip.data.item_codec import attribute_names, to_item
from snip.data.link_items import item_of, link_of, listed_at
from snip.data.links_table import LinksTable
from snip.domain.errors import KeyClaimConflict, KeyTaken, RequestInProgress
from snip.domain.link import Link

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        DeleteTypeDef,
        PutTypeDef,
        TransactWriteItemTypeDef,
    )


@dataclass(frozen=True)
class NewLink:
    """One link of a batch write: under a pool key (``shard`` given: the claim's Delete + Put),
    or a plain conditional Put (an alias, or a key generated on the spot)."""

    link: Link  # with its create_marker
    shard: int | None = None

    @property
    def key(self) -> str:
        return self.link.key

    @property
    def actions(self) -> int:
        return 1 if self.shard is None else 2


# What became of each NewLink of a batch write (LinkCreation.create_links).
CREATED, POOL_CLAIMED, KEY_USED, RETRY = "created", "claimed", "used", "retry"


def _marked(link: Link) -> Link:
    """The link with its ``create_marker``: the caller's, or a fresh one for this write."""
    return replace(link, create_marker=link.create_marker or secrets.token_urlsafe(12))


def _taken_over() -> RequestInProgress:
    """This attempt's idempotency record was taken over by a later one, which creates the link."""
    return RequestInProgress("A request with this Idempotency-Key is still in progress; retry shortly.")


def _created_by(link: Link) -> Callable[[Link], bool]:
    marker = link.create_marker
    return lambda stored: stored.create_marker == marker


class LinkCreation:
    def __init__(self, links: LinksTable, keys_table: str) -> None:
        self.links = links
        self.client = links.client
        self.keys_table = keys_table

    def claim_key(self, shard: int, key: str, link: Link, record: CreateRecord | None = None) -> None:
        """Move ``key`` from the pool into a new link, atomically (one TransactWriteItems).

        ``link`` gets a ``create_marker`` (unless it has one); the ClientRequestToken is derived
        from it, so that DynamoDB itself answers a repeat of this very claim (within 10 minutes)
        with the first result. Without that (moto, or a repeat after 10 minutes) the cancelled
        repeat shows our own link in its reasons and counts as the success it was.
        An idempotent create's ``record`` learns the key in the same transaction.
        """
        link = _marked(link)
        actions: list[TransactWriteItemTypeDef] = [
            {"Delete": self._pool_delete(shard, key)},
            {"Put": self._new_link_put(link)},
        ]
        if record is not None:
            actions.append(record.link_written(key))
        token = hashlib.sha256(f"{link.create_marker}/{key}".encode()).hexdigest()[:36]
        try:
            self._send(
                key,
                link,
                lambda: self.client.transact_write_items(TransactItems=actions, ClientRequestToken=token),
            )
        except ClientError as error:
            cancelled = cancellation(error)
            if cancelled.code(1) == CONDITION_FAILED:
                if self._is_own(key, cancelled.raw_item(1), link):
                    return
                raise KeyClaimConflict("used") from error
            if record is not None and cancelled.code(2) == CONDITION_FAILED:
                raise _taken_over() from error
            if cancelled.code(0) == CONDITION_FAILED:
                raise KeyClaimConflict("claimed") from error
            if CONFLICT in cancelled.codes:
                raise KeyClaimConflict("conflict") from error
            raise cancelled.unavailable("claim") from error

    def put_link(self, link: Link, record: CreateRecord | None = None) -> None:
        """Write a new link under a key nobody has used (alias, or a key generated inline); an
        idempotent create's ``record`` learns the key in the same transaction."""
        link = _marked(link)
        if record is not None:
            self._put_recorded(link, record)
            return
        try:
            self._send(link.key, link, lambda: self.client.put_item(**self._new_link_put(link)))
        except ClientError as error:
            if error_code(error) != PUT_CONDITION_FAILED:
                raise
            if self._is_own(link.key, old_item(error), link):
                return
            raise KeyTaken(link.key) from error

    def _put_recorded(self, link: Link, record: CreateRecord) -> None:
        actions: list[TransactWriteItemTypeDef] = [
            {"Put": self._new_link_put(link)},
            record.link_written(link.key),
        ]
        token = hashlib.sha256(f"{link.create_marker}/{link.key}".encode()).hexdigest()[:36]
        try:
            self._send(
                link.key,
                link,
                lambda: self.client.transact_write_items(TransactItems=actions, ClientRequestToken=token),
            )
        except ClientError as error:
            cancelled = cancellation(error)
            if cancelled.code(0) == CONDITION_FAILED:
                if self._is_own(link.key, cancelled.raw_item(0), link):
                    return
                raise KeyTaken(link.key) from error
            if cancelled.code(1) == CONDITION_FAILED:
                raise _taken_over() from error
            raise cancelled.unavailable("create") from error

    def create_links(
        self,
        writes: list[NewLink],
        attempt: int = 0,
        record: CreateRecord | None = None,
        items: Sequence[int] = (),
    ) -> list[str]:
        """Write up to 100 actions' worth of new links in one TransactWriteItems; per write,
        CREATED, or why it was not: POOL_CLAIMED (the pool key is gone: another instance took
        it), KEY_USED (a link has the key: for an alias, taken; for a pool key, a stale pool
        entry), RETRY (nothing wrong with it; another write cancelled the transaction).

        A transaction is all or nothing: if any write failed, none was made, and the caller sends
        the others again (under other keys where theirs failed). Lost answers are decided as for
        one link: the token comes from the writes' markers, so DynamoDB answers a repeat within
        10 minutes with the first result; else the repeat is cancelled on links bearing our own
        markers (ALL_OLD), or, every answer lost, a consistent read of the first link decides.
        An idempotent batch's ``record`` learns, in the same transaction, each link's ``items``
        entry (its index in the batch) and key.
        """
        actions: list[TransactWriteItemTypeDef] = []
        for write in writes:
            if write.shard is not None:
                actions.append({"Delete": self._pool_delete(write.shard, write.key)})
            actions.append({"Put": self._new_link_put(write.link)})
        if record is not None:
            actions.append(record.links_written(zip(items, (write.key for write in writes), strict=True)))
        if not writes or len(actions) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"1 to {MAX_TRANSACTION_ITEMS} actions per transaction")
        # The attempt number keeps a resend after a cancellation from reusing a spent token.
        marks = f"{attempt}/" + "/".join(f"{w.link.create_marker}:{w.key}" for w in writes)
        token = hashlib.sha256(marks.encode()).hexdigest()[:36]
        try:
            self._send(
                writes[0].key,
                writes[0].link,
                lambda: self.client.transact_write_items(TransactItems=actions, ClientRequestToken=token),
            )
        except ClientError as error:
            cancelled = cancellation(error)
            if record is not None and cancelled.code(len(actions) - 1) == CONDITION_FAILED:
                raise _taken_over() from error
            return self._cancelled(writes, cancelled, error)
        return [CREATED] * len(writes)

    def _cancelled(self, writes: list[NewLink], cancelled: Cancellation, error: ClientError) -> list[str]:
        outcomes: list[str] = []
        index = 0
        for write in writes:
            mine = cancelled.part(index, index + write.actions)
            index += write.actions
            codes = mine.codes
            if codes and codes[-1] == CONDITION_FAILED:
                if self._is_own(write.key, mine.raw_item(len(codes) - 1), write.link):
                    # An earlier attempt of this very transaction was carried out: all of it.
                    return [CREATED] * len(writes)
                outcomes.append(KEY_USED)
            elif write.shard is not None and codes[0] == CONDITION_FAILED:
                outcomes.append(POOL_CLAIMED)
            elif CONFLICT in codes:
                outcomes.append(POOL_CLAIMED if write.shard is not None else RETRY)
            else:
                outcomes.append(RETRY)
        if all(outcome == RETRY for outcome in outcomes):  # throttled, or a failure of its own
            raise cancelled.unavailable("batch") from error
        return outcomes

    def _send(self, key: str, link: Link, send: Callable[[], object]) -> None:
        """Send a marked create; every answer lost, a consistent read of ``key`` decides."""
        mine = _created_by(link)
        lost_writes.send_once(send, lambda: (stored := self.links.lookup(key)) is not None and mine(stored))

    def _is_own(self, key: str, old: dict[str, AttributeValueTypeDef] | None, link: Link) -> bool:
        read = lambda: self.links.get_link(key, consistent=True)  # noqa: E731
        return lost_writes.failed_on_own(link_of(old) if old else None, read, _created_by(link))

    def _pool_delete(self, shard: int, key: str) -> DeleteTypeDef:
        return {
            "TableName": self.keys_table,
            "Key": to_item({"shard": shard, "key": key}),
            "ConditionExpression": "attribute_exists(#key)",
            "ExpressionAttributeNames": attribute_names("key"),
        }

    def _new_link_put(self, link: Link) -> PutTypeDef:
        if link.owner and link.created_at:  # a link without them is in no listing
            link = replace(link, listed_at=listed_at(link.created_at, link.key))
        return {
            "TableName": self.links.links_table,
            "Item": item_of(link),
            "ConditionExpression": "attribute_not_exists(#key)",
            "ExpressionAttributeNames": attribute_names("key"),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
