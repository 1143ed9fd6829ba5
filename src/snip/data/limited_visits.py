"""Counting a visit on a link with ``max_visits``: the link's count and the visit event, both
or neither, in one transaction whose condition is the redirect rule's count (exactly
``max_visits`` redirects ever, however many arrive at once).

The count is the link's **counters item** (``snip.data.rollups_table``, bucket ``link``), never
the link's own item: a small item (well under 1 KB) that carries no visit markers, so each
redirect costs it 2 write units (a transaction's) whatever the rate, and the link's URL, owner
and whatever else its owner wrote are never written, returned or made dearer by a visit. The
counters item also holds what the aggregator counted of the link's other visits (those made
before ``max_visits`` was set), so a limit set later counts them.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from snip.data import lost_writes
from snip.data.cancellations import CONDITION_FAILED, CONFLICT, cancellation
from snip.data.counter_items import (
    BOT_VISITS,
    COUNTERS_BUCKET,
    FROZEN,
    LATEST_PREFIX,
    REDIRECT_WRITER,
    VISITS,
)
from snip.data.dependency_guard import dependency_guard
from snip.data.item_codec import from_item, to_item
from snip.data.link_memory import LinkMemory
from snip.data.links_table import LinksTable
from snip.data.visits_table import VisitsTable
from snip.domain.errors import LinkGone
from snip.domain.link import Link
from snip.domain.visit_events import VisitEvent

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import (
        TransactWriteItemsInputTypeDef,
        TransactWriteItemTypeDef,
        UpdateTypeDef,
    )

# Fewer than the limit counted, and not deleted since the link was read (counter_items.FROZEN).
_UNSPENT_AND_LIVE = "(attribute_not_exists(#v) OR #v < :remaining) AND attribute_not_exists(#f)"
VISIT_CONFLICT_ATTEMPTS = 3  # a visit's transaction, sent again when another one on the link cancels it


class LimitedVisits:
    def __init__(
        self,
        links: LinksTable,
        memory: LinkMemory,
        events: VisitsTable,
        counters_table: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.links = links
        self.client = links.client
        self.memory = memory
        self.events = events
        self.counters_table = counters_table
        self.sleep = sleep

    def counted(self, key: str) -> int:
        """The link's visits on its counters item (a consistent read; 0 if it has none): with the
        link item's own (counted there before the counters item existed), what ``max_visits``
        is judged against."""
        with dependency_guard():
            found = self.client.get_item(
                TableName=self.counters_table,
                Key=to_item({"key": key, "bucket": COUNTERS_BUCKET}),
                ConsistentRead=True,
                ProjectionExpression="#v",
                ExpressionAttributeNames={"#v": VISITS},
            )
        return int(str(from_item(found.get("Item", {})).get(VISITS, 0)))

    def record_visit(self, link: Link, now: str, event: VisitEvent) -> None:
        """Count one visit of ``link`` (as resolve read it, live) and write its ``event``, both or
        neither, in one TransactWriteItems; LinkGone once ``max_visits`` redirects were counted.

        The counters item's Update is conditional on fewer than ``max_visits`` visits counted
        (less those the link's own item still holds) and counts a preview bot apart
        (``bot_visits``, never spending max_visits); the event's Put is conditional on its id (the
        request id). Every request returns nothing of either item
        (``ReturnValuesOnConditionCheckFailure`` NONE): the event is the visit's marker, so a
        repeat of this very visit never counts twice:

        * botocore's own retries carry the same ClientRequestToken (from the request id), so
          DynamoDB answers a repeat within 10 minutes with the first result;
        * otherwise (moto, our own resend, CloudFront retrying its origin with the same
          X-Amz-Cf-Id) the repeat is cancelled on the event's Put: the event is there, written
          with its count by the first attempt: this visit is counted;
        * if the SDK gave up (every answer lost), a consistent read of the event decides: there =
          done; not there (or unreadable) = sent once more (it can only count once); still
          unknown = DependencyUnavailable (503).

        Transactions on the same counters item at once may cancel each other
        (TransactionConflict): sent again, a few times, under a new token, after a short random
        pause.
        """
        remaining = (link.max_visits or 0) - link.visits
        if remaining <= 0:
            raise LinkGone("This link is no longer active.")
        actions: list[TransactWriteItemTypeDef] = [
            {"Update": self._visit_update(link.key, now, remaining, bot=event.bot)},
            {"Put": self.events.event_put(event)},
        ]
        for attempt in range(VISIT_CONFLICT_ATTEMPTS):
            token = hashlib.sha256(f"visit/{event.id}/{attempt}".encode()).hexdigest()[:36]
            transaction: TransactWriteItemsInputTypeDef = {
                "TransactItems": actions,
                "ClientRequestToken": token,
            }
            try:
                lost_writes.send_once(
                    lambda transaction=transaction: self.client.transact_write_items(**transaction),  # type: ignore[misc]
                    lambda: self.events.event_written(event.id),
                )
                return
            except ClientError as error:
                cancelled = cancellation(error)
                if cancelled.code(1) == CONDITION_FAILED:
                    return  # the event with this id is there, counted with it: this very visit
                if cancelled.code(0) == CONDITION_FAILED:
                    raise LinkGone("This link is no longer active.") from error
                if CONFLICT in cancelled.codes and attempt + 1 < VISIT_CONFLICT_ATTEMPTS:
                    self.sleep(secrets.randbelow(20 << attempt) / 1000)
                    continue
                raise cancelled.unavailable("visit") from error

    def _visit_update(self, key: str, now: str, remaining: int, *, bot: bool) -> UpdateTypeDef:
        """The count's half of a visit, only while fewer than ``remaining`` people's visits are
        counted (a spent link redirects nobody) and the link is not deleted since it was read (its
        counters item frozen: ``counter_items.FROZEN``); a preview bot's counts apart, spending
        nothing."""
        if bot:
            return {
                "TableName": self.counters_table,
                "Key": to_item({"key": key, "bucket": COUNTERS_BUCKET}),
                "UpdateExpression": "ADD #b :one",
                "ConditionExpression": _UNSPENT_AND_LIVE,
                "ExpressionAttributeNames": {"#b": BOT_VISITS, "#v": VISITS, "#f": FROZEN},
                "ExpressionAttributeValues": to_item({":one": 1, ":remaining": remaining}),
                "ReturnValuesOnConditionCheckFailure": "NONE",
            }
        return {
            "TableName": self.counters_table,
            "Key": to_item({"key": key, "bucket": COUNTERS_BUCKET}),
            "UpdateExpression": "ADD #v :one SET #l = :now",
            "ConditionExpression": _UNSPENT_AND_LIVE,
            "ExpressionAttributeNames": {"#v": VISITS, "#l": LATEST_PREFIX + REDIRECT_WRITER, "#f": FROZEN},
            "ExpressionAttributeValues": to_item({":one": 1, ":now": now, ":remaining": remaining}),
            "ReturnValuesOnConditionCheckFailure": "NONE",
        }
