"""Counting a visit on a link with ``max_visits``: the link's count and the visit event, both
or neither, in one transaction whose condition is the redirect rule (exactly ``max_visits``
redirects ever, however stale resolve's read of the link was).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from snip.data import lost_writes
from snip.data.cancellations import CONDITION_FAILED, CONFLICT, cancellation
from snip.data.dependency_guard import CONDITION_FAILED as UPDATE_CONDITION_FAILED
from snip.data.dependency_guard import dependency_guard, error_code
from snip.data.item_codec import attribute_names, to_item
from snip.data.link_items import BOT_VISITS, LAST_VISIT_AT, RECENT_VISITS, VISITS, link_of
from snip.data.link_memory import LinkMemory
from snip.data.links_table import LinksTable
from snip.data.visits_table import VisitsTable
from snip.domain import clock
from snip.domain.errors import DependencyUnavailable, LinkGone, LinkNotFound
from snip.domain.link import Link
from snip.domain.liveness import ACTIVE_CONDITION, is_active
from snip.domain.visit_events import VisitEvent

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import (
        TransactWriteItemsInputTypeDef,
        TransactWriteItemTypeDef,
        UpdateTypeDef,
    )

# How long a visit's marker is kept. Every attempt of one request is sent within its Lambda's
# timeout (resolve 5 s, shorten 10 s) of the ``now`` it carries; the rest is room for clocks
# that disagree between instances.
VISIT_MARKER_SECONDS = 30
FORGET_AFTER = 8  # old markers gathered before one extra write drops them
VISIT_CONFLICT_ATTEMPTS = 3  # a visit's transaction, sent again when another one on the link cancels it


def visit_marker(now: str, request_id: str) -> str:
    """``<epoch seconds>:<12 characters>``: when the visit came (so old markers can go) and a
    72-bit digest of the request id (a random one without it). Two different requests share a
    marker with odds of about n²/2⁷³ for n markers kept: a visit left uncounted, never one
    counted twice."""
    if request_id:
        digest = base64.urlsafe_b64encode(hashlib.sha256(request_id.encode()).digest()[:9]).decode()
    else:
        digest = secrets.token_urlsafe(9)
    return f"{_epoch(now)}:{digest}"


def _epoch(now: str) -> int:
    return int(clock.parse_rfc3339(now).timestamp())


def _marker_time(marker: str) -> int:
    try:
        return int(marker.split(":", 1)[0])
    except ValueError:
        return 0


def _counted(link: Link) -> None:
    """A visit found counted by its own marker: done, unless the link was deleted since (410)."""
    if link.url is None:
        raise LinkGone("This link is no longer active.")


class LimitedVisits:
    def __init__(
        self,
        links: LinksTable,
        memory: LinkMemory,
        events: VisitsTable,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.links = links
        self.client = links.client
        self.memory = memory
        self.events = events
        self.sleep = sleep

    def record_visit(self, link: Link, now: str, event: VisitEvent) -> None:
        """Count one visit of ``link`` (as resolve read it) and write its ``event``, both or
        neither, in one TransactWriteItems; LinkGone or LinkNotFound if the link does not redirect.

        The link's Update is conditional on the redirect rule (exactly ``max_visits`` redirects
        ever), counts a preview bot apart (``bot_visits``, never spending max_visits) and adds the
        visit's marker (from the event's id, the request id) to ``recent_visits``, refused if it is
        there already; the event's Put is conditional on its id. A repeat of this very visit can
        never count twice, however many visitors came in between:

        * botocore's own retries carry the same ClientRequestToken (from the request id), so
          DynamoDB answers a repeat within 10 minutes with the first result;
        * otherwise (moto, or our own resends) the repeat is cancelled, and the link it failed on
          (ALL_OLD) bears our marker: the first attempt counted it, and wrote the event with it;
        * a repeat of the request itself (CloudFront retrying its origin, same X-Amz-Cf-Id: the
          same event id) seconds later carries another marker: its event's Put fails on the event
          the first one wrote with its count, and that is the visit counted;
        * if the SDK gave up (every answer lost), a consistent read of the link decides: our
          marker there = done; not there and the link live = sent once more; unreadable = sent
          once more (it can only count once); still unknown = DependencyUnavailable (503).

        Transactions touching the same link at once cancel each other (TransactionConflict):
        sent again, a few times, under a new token, with a short random pause.

        A transaction returns no item: the caller answers from the link it read (its URL as up to
        ``LINK_MEMORY_SECONDS`` old as any redirect's; the count itself is exact by the condition).
        """
        key = link.key
        marker = visit_marker(now, event.id)
        actions: list[TransactWriteItemTypeDef] = [
            {"Update": self._visit_update(key, now, marker, bot=event.bot)},
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
                    lambda: self._applied(key, now, marker),
                )
                break
            except ClientError as error:
                cancelled = cancellation(error)
                if cancelled.code(1) == CONDITION_FAILED:
                    # The event with this id is there: this very visit, counted with it by an
                    # earlier request of the same id (CloudFront sending the viewer's request to
                    # its origin again, seconds later, under another marker).
                    raw = cancelled.raw_item(0)
                    if raw is not None:
                        _counted(link_of(raw))
                    break
                if cancelled.code(0) == CONDITION_FAILED:
                    raw = cancelled.raw_item(0)
                    if raw is None:
                        raise LinkNotFound("No link with this key.") from error
                    stored = link_of(raw)
                    if marker in stored.recent_visits:
                        _counted(stored)  # our own earlier attempt counted it
                        break
                    raise LinkGone("This link is no longer active.") from error
                if CONFLICT in cancelled.codes and attempt + 1 < VISIT_CONFLICT_ATTEMPTS:
                    self.sleep(secrets.randbelow(20 << attempt) / 1000)
                    continue
                raise cancelled.unavailable("visit") from error
        self._forget_old_visits(key, link.recent_visits, now)

    def _applied(self, key: str, now: str, marker: str) -> bool:
        """A visit whose every answer was lost, decided by the link as it is now. Counted under our
        marker: done. Not counted: answer as the condition would (404, 410), or, the link being
        live (or unreadable), send it once more (same marker and token: it can only count once)."""
        try:
            stored = self.links.get_link(key, consistent=True)
        except DependencyUnavailable:
            return False  # unreadable too: send it once more
        if stored is None:
            raise LinkNotFound("No link with this key.")
        if marker in stored.recent_visits:
            _counted(stored)
            return True
        if not is_active(stored, now):
            raise LinkGone("This link is no longer active.")
        return False

    def _visit_update(self, key: str, now: str, marker: str, *, bot: bool) -> UpdateTypeDef:
        """The link's half of a visit: count it if the link is active and the marker is new."""
        counter = BOT_VISITS if bot else VISITS
        update = f"SET #{counter} = if_not_exists(#{counter}, :zero) + :one"
        names = attribute_names("key", "deleted_at", "disabled", "expires_at", "max_visits", VISITS, counter)
        if not bot:
            update += f", #{LAST_VISIT_AT} = :now"
            names.update(attribute_names(LAST_VISIT_AT))
        update += f" ADD #{RECENT_VISITS} :markers"
        names.update(attribute_names(RECENT_VISITS))
        return {
            "TableName": self.links.links_table,
            "Key": to_item({"key": key}),
            "UpdateExpression": update,
            "ConditionExpression": f"{ACTIVE_CONDITION} AND NOT contains(#{RECENT_VISITS}, :marker)",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_item(
                {":zero": 0, ":one": 1, ":now": now, ":false": False, ":marker": marker, ":markers": {marker}}
            ),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }

    def _forget_old_visits(self, key: str, markers: Iterable[str], now: str) -> None:
        """Drop markers older than ``VISIT_MARKER_SECONDS``, once ``FORGET_AFTER`` of them have
        gathered: one extra write per that many visits, and the item stays small.

        ``markers`` are those of the link as the redirect read it (the transaction returns no
        item), at most ``LINK_MEMORY_SECONDS`` old: markers written since are dropped by a later
        visit. The link this environment remembers loses the dropped ones too, so that the
        visits it answers from memory do not send the same cleanup again.
        """
        horizon = _epoch(now) - VISIT_MARKER_SECONDS
        old = {m for m in markers if _marker_time(m) < horizon}
        if len(old) < FORGET_AFTER:
            return
        self.memory.forget_visit_markers(key, old)
        try:
            with dependency_guard():
                self.client.update_item(
                    TableName=self.links.links_table,
                    Key=to_item({"key": key}),
                    UpdateExpression=f"DELETE #{RECENT_VISITS} :old",
                    ConditionExpression="attribute_exists(#key)",
                    ExpressionAttributeNames=attribute_names("key", RECENT_VISITS),
                    ExpressionAttributeValues=to_item({":old": old}),
                )
        except DependencyUnavailable:
            pass  # the visit is counted; a later visit forgets them
        except ClientError as error:
            if error_code(error) != UPDATE_CONDITION_FAILED:
                raise
