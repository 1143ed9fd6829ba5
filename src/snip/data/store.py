"""The one module that talks to DynamoDB.

It speaks in domain terms: callers hand it plain dicts and get domain exceptions back, decided
from error codes and CancellationReasons, never from message text.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError, HTTPClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as BotoConnectionError

from snip.domain import clock
from snip.domain.errors import DependencyUnavailable, KeyClaimConflict, KeyTaken, LinkGone, LinkNotFound
from snip.domain.liveness import ACTIVE_CONDITION as _ACTIVE
from snip.domain.liveness import is_active
from snip.domain.visit_events import VisitEvent

# Errors that mean "DynamoDB could not do it now", after the SDK's own retries.
_UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)
_CONDITION_FAILED = "ConditionalCheckFailed"
MAX_TRANSACTION_ITEMS = 100
MAX_BATCH_GET = 100  # keys per BatchGetItem

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in data.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: _deserializer.deserialize(v) for k, v in item.items()}
    return {k: int(v) if isinstance(v, Decimal) else v for k, v in out.items()}


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def dependency_guard() -> Iterator[None]:
    """Turn DynamoDB's transient failures into DependencyUnavailable (→ 503 + Retry-After)."""
    try:
        yield
    except ClientError as error:
        metadata = error.response.get("ResponseMetadata", {})
        status = metadata.get("HTTPStatusCode", 0)
        if _code(error) in _UNAVAILABLE_CODES or status >= 500:
            # TransactionInProgress: a repeat of a transaction (same ClientRequestToken) that is
            # still being carried out, so it may well be done by now. And whatever the last
            # answer says, when the SDK tried more than once an earlier attempt may have been
            # carried out with its answer lost (a dropped connection, then a throttle).
            ambiguous = (
                status >= 500
                or _code(error) == "TransactionInProgressException"
                or int(metadata.get("RetryAttempts", 0) or 0) > 0
            )
            raise DependencyUnavailable(f"DynamoDB: {_code(error)}", ambiguous=ambiguous) from error
        raise
    except (HTTPClientError, BotoConnectionError) as error:  # timeouts, dropped connections
        unreachable = f"DynamoDB unreachable: {type(error).__name__}"
        raise DependencyUnavailable(unreachable, ambiguous=True) from error
    except NoCredentialsError as error:
        raise DependencyUnavailable("DynamoDB: no credentials") from error


def _old_item(error: ClientError) -> dict[str, Any] | None:
    """The item a condition failed on (ReturnValuesOnConditionCheckFailure=ALL_OLD), if any."""
    item = error.response.get("Item")
    return item if isinstance(item, dict) else None


def _names(*attrs: str) -> dict[str, str]:
    return {f"#{a}": a for a in attrs}


_OWNED = "attribute_exists(#key) AND #owner = :owner AND attribute_not_exists(#deleted_at)"

# The markers that let a repeated write recognise its own earlier attempt (see "links" below).
CREATE_MARKER = "create_marker"  # on a link: the request that created it
DELETE_MARKER = "delete_marker"  # on a tombstone: the request that deleted it
RECENT_VISITS = "recent_visits"  # string set: the markers of the visits counted lately
# What a visit writes: a person's visit counts ``visits`` and stamps ``last_visit_at``; a
# preview bot's counts ``bot_visits`` only (IAM limits resolve's UpdateItem to these, the
# condition's attributes and the markers: snip_deploy.tables.VISIT_ATTRIBUTES).
VISITS, BOT_VISITS, LAST_VISIT_AT = "visits", "bot_visits", "last_visit_at"
VISIT_COUNTERS = (VISITS, BOT_VISITS, LAST_VISIT_AT)
# How long a visit's marker is kept. Every attempt of one request is sent within its Lambda's
# timeout (resolve 5 s, shorten 10 s) of the ``now`` it carries; the rest is room for clocks
# that disagree between instances.
VISIT_MARKER_SECONDS = 30
FORGET_AFTER = 8  # old markers gathered before one extra write drops them
VISIT_CONFLICT_ATTEMPTS = 3  # a visit's transaction, sent again when another one on the link cancels it

# The owner's listing (GET /links) reads the links table's index BY_OWNER_INDEX (defined with
# the table in snip_deploy.tables): partition OWNER, sort LISTED_AT = "<created_at>#<key>",
# written with the link and removed by its delete (tombstones leave the index).
OWNER, TAGS, LISTED_AT = "owner", "tags", "listed_at"
BY_OWNER_INDEX = "by_owner"
MAX_LIST_ROUNDS = 5  # Queries per page when a tag filter skips entries
TAG_SCAN = 200  # index entries read per Query under a tag filter


def listed_at(created_at: str, key: str) -> str:
    return f"{created_at}#{key}"


@dataclass(frozen=True)
class NewLink:
    """One link of a batch write: under a pool key (``shard`` given: the claim's Delete + Put),
    or a plain conditional Put (an alias, or a key generated on the spot)."""

    link: Mapping[str, Any]  # with its create_marker
    shard: int | None = None

    @property
    def key(self) -> str:
        return str(self.link["key"])

    @property
    def actions(self) -> int:
        return 1 if self.shard is None else 2


# What became of each NewLink of a batch write (Store.create_links).
CREATED, POOL_CLAIMED, KEY_USED, RETRY = "created", "claimed", "used", "retry"


def _marked(link: Mapping[str, Any]) -> dict[str, Any]:
    """The link with its ``create_marker``: the caller's, or a fresh one for this write."""
    return {**link, CREATE_MARKER: link.get(CREATE_MARKER) or secrets.token_urlsafe(12)}


def _created_by(link: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    marker = link[CREATE_MARKER]
    return lambda stored: stored.get(CREATE_MARKER) == marker


def _deleted_by(owner: str, marker: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda stored: stored.get("owner") == owner and stored.get(DELETE_MARKER) == marker


def _changed(
    stored: Mapping[str, Any], owner: str, changes: Mapping[str, Any], removals: tuple[str, ...]
) -> bool:
    """Whether the owner's live link shows ``changes`` made and ``removals`` gone."""
    return (
        stored.get("owner") == owner
        and "deleted_at" not in stored
        and all(stored.get(name) == value for name, value in changes.items())
        and not any(name in stored for name in removals)
    )


def _counted(item: Mapping[str, Any]) -> None:
    """A visit found counted by its own marker: done, unless the link was deleted since (410)."""
    if "url" not in item:
        raise LinkGone("This link is no longer active.")


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


# How long an execution environment may answer redirects from a link it read (CONTRACT §2: an
# edit, disable or delete takes effect within 2 s), and how many links it keeps that long.
LINK_MEMORY_SECONDS = 2.0
LINK_MEMORY_ITEMS = 10_000


class Store:
    def __init__(
        self,
        client: Any,
        links_table: str,
        keys_table: str,
        visits_table: str = "",
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.links_table = links_table
        self.keys_table = keys_table
        self.visits_table = visits_table
        self.monotonic = monotonic
        self.sleep = sleep
        self._memory: dict[str, tuple[float, dict[str, Any]]] = {}

    # -- links ---------------------------------------------------------------------------
    # Every write to a link is decided even when its answer is lost and the write is sent again,
    # by botocore's retries (inside one call) or by us: the item carries a marker of the request
    # that wrote it, conditional writes return the item they failed on (ALL_OLD), and a write
    # that failed on its own marker met its own earlier attempt, so it succeeded.
    def claim_key(self, shard: int, key: str, link: Mapping[str, Any]) -> None:
        """Move ``key`` from the pool into a new link, atomically (one TransactWriteItems).

        ``link`` gets a ``create_marker`` (unless it has one); the ClientRequestToken is derived
        from it, so that DynamoDB itself answers a repeat of this very claim (within 10 minutes)
        with the first result. Without that (moto, or a repeat after 10 minutes) the cancelled
        repeat shows our own link in its reasons and counts as the success it was.
        """
        link = _marked(link)
        actions = [
            {
                "Delete": {
                    "TableName": self.keys_table,
                    "Key": to_item({"shard": shard, "key": key}),
                    "ConditionExpression": "attribute_exists(#key)",
                    "ExpressionAttributeNames": _names("key"),
                }
            },
            {"Put": self._new_link_put(link)},
        ]
        token = hashlib.sha256(f"{link[CREATE_MARKER]}/{key}".encode()).hexdigest()[:36]
        try:
            self._checked_write(
                key,
                _created_by(link),
                lambda: self.client.transact_write_items(TransactItems=actions, ClientRequestToken=token),
            )
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])
            codes = [r.get("Code", "None") for r in reasons]
            if len(codes) > 1 and codes[1] == _CONDITION_FAILED:
                if self._is_own(key, reasons[1].get("Item"), _created_by(link)):
                    return
                raise KeyClaimConflict("used") from error
            if codes and codes[0] == _CONDITION_FAILED:
                raise KeyClaimConflict("claimed") from error
            if "TransactionConflict" in codes:
                raise KeyClaimConflict("conflict") from error
            raise DependencyUnavailable(f"DynamoDB cancelled the claim: {codes}") from error

    def put_link(self, link: Mapping[str, Any]) -> None:
        """Write a new link under a key nobody has used (alias, or a key generated inline)."""
        link = _marked(link)
        try:
            self._checked_write(
                link["key"], _created_by(link), lambda: self.client.put_item(**self._new_link_put(link))
            )
        except ClientError as error:
            if _code(error) != "ConditionalCheckFailedException":
                raise
            if self._is_own(link["key"], _old_item(error), _created_by(link)):
                return
            raise KeyTaken(link["key"]) from error

    def _new_link_put(self, link: Mapping[str, Any]) -> dict[str, Any]:
        owned = link.get(OWNER) and link.get("created_at")  # a link without them is in no listing
        listed = {LISTED_AT: listed_at(link["created_at"], link["key"])} if owned else {}
        return {
            "TableName": self.links_table,
            "Item": to_item({**link, **listed}),
            "ConditionExpression": "attribute_not_exists(#key)",
            "ExpressionAttributeNames": _names("key"),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }

    def _checked_write(
        self, key: str, mine: Callable[[Mapping[str, Any]], bool], send: Callable[[], Any]
    ) -> None:
        """Send a marked write; if the SDK gave up with its outcome unknown (every answer lost),
        the item is read: bearing our marker, the write happened. Otherwise it did not (or the
        read failed too) and it is sent once more ourselves: the same request, marker and token,
        so a repeat can only succeed once. Conditional failures (ClientError) reach the caller."""
        for last in (False, True):
            try:
                with dependency_guard():
                    send()
                return
            except DependencyUnavailable as error:
                if not error.ambiguous:
                    raise
                stored = self._lookup(key)
                if stored is not None and mine(stored):
                    return
                if last:
                    raise

    def _lookup(self, key: str) -> dict[str, Any] | None:
        """The item as it is now (strongly consistent), or None if it cannot be read either."""
        try:
            return self.get_link(key, consistent=True)
        except DependencyUnavailable:
            return None

    def _is_own(
        self, key: str, old: Mapping[str, Any] | None, mine: Callable[[Mapping[str, Any]], bool]
    ) -> bool:
        """Whether the item a condition failed on was written by this very request.

        DynamoDB (and moto) return that item with ALL_OLD; only if it is missing is it read.
        """
        item = from_item(old) if old else self.get_link(key, consistent=True)
        return item is not None and mine(item)

    def create_links(self, writes: list[NewLink], attempt: int = 0) -> list[str]:
        """Write up to 100 actions' worth of new links in one TransactWriteItems; per write,
        CREATED, or why it was not: POOL_CLAIMED (the pool key is gone: another instance took
        it), KEY_USED (a link has the key: for an alias, taken; for a pool key, a stale pool
        entry), RETRY (nothing wrong with it; another write cancelled the transaction).

        A transaction is all or nothing: if any write failed, none was made, and the caller sends
        the others again (under other keys where theirs failed). Lost answers are decided as for
        one link: the token comes from the writes' markers, so DynamoDB answers a repeat within
        10 minutes with the first result; else the repeat is cancelled on links bearing our own
        markers (ALL_OLD), or, every answer lost, a consistent read of the first link decides.
        """
        actions: list[dict[str, Any]] = []
        for write in writes:
            if write.shard is not None:
                actions.append(
                    {
                        "Delete": {
                            "TableName": self.keys_table,
                            "Key": to_item({"shard": write.shard, "key": write.key}),
                            "ConditionExpression": "attribute_exists(#key)",
                            "ExpressionAttributeNames": _names("key"),
                        }
                    }
                )
            actions.append({"Put": self._new_link_put(write.link)})
        if not writes or len(actions) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"1 to {MAX_TRANSACTION_ITEMS} actions per transaction")
        # The attempt number keeps a resend after a cancellation from reusing a spent token.
        marks = f"{attempt}/" + "/".join(f"{w.link[CREATE_MARKER]}:{w.key}" for w in writes)
        token = hashlib.sha256(marks.encode()).hexdigest()[:36]
        try:
            self._checked_write(
                writes[0].key,
                _created_by(writes[0].link),
                lambda: self.client.transact_write_items(TransactItems=actions, ClientRequestToken=token),
            )
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            return self._cancelled(writes, error)
        return [CREATED] * len(writes)

    def _cancelled(self, writes: list[NewLink], error: ClientError) -> list[str]:
        reasons = error.response.get("CancellationReasons", [])
        outcomes: list[str] = []
        index = 0
        for write in writes:
            mine = reasons[index : index + write.actions]
            index += write.actions
            codes = [r.get("Code", "None") for r in mine]
            put = mine[-1] if mine else {}
            if codes and codes[-1] == _CONDITION_FAILED:
                if self._is_own(write.key, put.get("Item"), _created_by(write.link)):
                    # An earlier attempt of this very transaction was carried out: all of it.
                    return [CREATED] * len(writes)
                outcomes.append(KEY_USED)
            elif write.shard is not None and codes[0] == _CONDITION_FAILED:
                outcomes.append(POOL_CLAIMED)
            elif "TransactionConflict" in codes:
                outcomes.append(POOL_CLAIMED if write.shard is not None else RETRY)
            else:
                outcomes.append(RETRY)
        if all(outcome == RETRY for outcome in outcomes):  # throttled, or a failure of its own
            every = [r.get("Code") for r in reasons]
            raise DependencyUnavailable(f"DynamoDB cancelled the batch: {every}") from error
        return outcomes

    def get_links(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """The links under ``keys`` (at most 100), strongly consistent, in one BatchGetItem (plus
        one per round of keys DynamoDB leaves unprocessed, a few at most)."""
        if len(keys) > MAX_BATCH_GET:
            raise ValueError(f"at most {MAX_BATCH_GET} keys")
        found: dict[str, dict[str, Any]] = {}
        pending: dict[str, Any] = {
            self.links_table: {"Keys": [to_item({"key": key}) for key in keys], "ConsistentRead": True}
        }
        for _ in range(5):
            if not pending.get(self.links_table, {}).get("Keys"):
                return found
            with dependency_guard():
                response = self.client.batch_get_item(RequestItems=pending)
            for item in response.get("Responses", {}).get(self.links_table, []):
                link = from_item(item)
                found[link["key"]] = link
            pending = response.get("UnprocessedKeys") or {}
        if pending.get(self.links_table, {}).get("Keys"):
            raise DependencyUnavailable("DynamoDB left keys of the batch unread")
        return found

    def owner_page(
        self, owner: str, after: str | None, limit: int, tag: str | None
    ) -> tuple[list[tuple[str, str]], str | None]:
        """Up to ``limit`` entries (key, listed_at) of the owner's index, newest first, after
        the position ``after`` (a listed_at); and the position to go on from, None at the end.

        With a tag, the Query filters on the projected tags: a page read may match fewer than
        asked, so it reads on, at most ``MAX_LIST_ROUNDS`` Queries of ``TAG_SCAN`` entries; if
        that was not enough, the page comes back short and the position says where to go on.
        """
        entries: list[tuple[str, str]] = []
        start = after
        for _ in range(MAX_LIST_ROUNDS):
            args: dict[str, Any] = {
                "TableName": self.links_table,
                "IndexName": BY_OWNER_INDEX,
                "KeyConditionExpression": f"#{OWNER} = :owner",
                "ExpressionAttributeNames": _names(OWNER),
                "ExpressionAttributeValues": to_item({":owner": owner}),
                "ScanIndexForward": False,
                # One more than the page: if it is there, the page is not the last.
                "Limit": TAG_SCAN if tag else limit + 1 - len(entries),
            }
            if tag:
                args["FilterExpression"] = f"contains(#{TAGS}, :tag)"
                args["ExpressionAttributeNames"] = _names(OWNER, TAGS)
                args["ExpressionAttributeValues"] = to_item({":owner": owner, ":tag": tag})
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

    def get_link(self, key: str, *, consistent: bool) -> dict[str, Any] | None:
        with dependency_guard():
            response = self.client.get_item(
                TableName=self.links_table, Key=to_item({"key": key}), ConsistentRead=consistent
            )
        item = response.get("Item")
        return from_item(item) if item else None

    def update_link(
        self, key: str, owner: str, changes: Mapping[str, Any], removals: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Set ``changes`` and remove ``removals`` on the owner's live link; LinkNotFound otherwise.

        Sent twice it does the same thing twice (no counter, no condition on what it sets), so a
        lost answer needs no marker: the SDK's retry answers what the first attempt did. If every
        attempt's answer was lost, the link is read: showing the change, it is the answer.
        """
        names = _names("key", "owner", "deleted_at", *changes, *removals)
        values = to_item({":owner": owner, **{f":{k}": v for k, v in changes.items()}})
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
                    ConditionExpression=_OWNED,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                )
        except DependencyUnavailable as error:
            stored = self._lookup(key) if error.ambiguous else None
            if stored is None or not _changed(stored, owner, changes, removals):
                raise
            return stored
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                raise LinkNotFound("No link with this key.") from error
            raise
        return from_item(response["Attributes"])

    def delete_link(self, key: str, owner: str, deleted_at: str, marker: str) -> None:
        """Turn the owner's live link into a tombstone that bears ``marker``; LinkNotFound otherwise.

        A repeat of this very delete (its first answer lost) fails the condition on a tombstone
        with our marker: that is the delete succeeding, not a link that was never there.
        """
        mine = _deleted_by(owner, marker)
        try:
            self._checked_write(
                key,
                mine,
                lambda: self.client.update_item(
                    TableName=self.links_table,
                    Key=to_item({"key": key}),
                    UpdateExpression="SET #deleted_at = :deleted_at, #delete_marker = :marker "
                    f"REMOVE #url, #{LISTED_AT}",  # out of the owner's listing too
                    ConditionExpression=_OWNED,
                    ExpressionAttributeNames=_names(
                        "key", "owner", "deleted_at", DELETE_MARKER, "url", LISTED_AT
                    ),
                    ExpressionAttributeValues=to_item(
                        {":owner": owner, ":deleted_at": deleted_at, ":marker": marker}
                    ),
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ),
            )
        except ClientError as error:
            if _code(error) != "ConditionalCheckFailedException":
                raise
            old = _old_item(error)
            if old and self._is_own(key, old, mine):
                return
            raise LinkNotFound("No link with this key.") from error

    def record_visit(self, link: Mapping[str, Any], now: str, event: VisitEvent) -> None:
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
        * if the SDK gave up (every answer lost), a consistent read of the link decides: our
          marker there = done; not there and the link live = sent once more; unreadable = sent
          once more (it can only count once); still unknown = DependencyUnavailable (503).

        Transactions touching the same link at once cancel each other (TransactionConflict):
        sent again, a few times, under a new token, with a short random pause.

        A transaction returns no item: the caller answers from the link it read (its URL as up to
        ``LINK_MEMORY_SECONDS`` old as any redirect's; the count itself is exact by the condition).
        """
        key = str(link["key"])
        marker = visit_marker(now, event.id)
        actions = [
            {"Update": self._visit_update(key, now, marker, bot=event.bot)},
            {"Put": self._event_put(event)},
        ]
        for attempt in range(VISIT_CONFLICT_ATTEMPTS):
            token = hashlib.sha256(f"visit/{event.id}/{attempt}".encode()).hexdigest()[:36]
            try:
                self._send_visit(key, now, marker, {"TransactItems": actions, "ClientRequestToken": token})
                break
            except ClientError as error:
                if _code(error) != "TransactionCanceledException":
                    raise
                reasons = error.response.get("CancellationReasons", [])
                codes = [r.get("Code", "None") for r in reasons]
                if codes and codes[0] == _CONDITION_FAILED:
                    old = reasons[0].get("Item")
                    if not old:
                        raise LinkNotFound("No link with this key.") from error
                    stored = from_item(old)
                    if marker in stored.get(RECENT_VISITS, ()):
                        _counted(stored)  # our own earlier attempt counted it
                        break
                    raise LinkGone("This link is no longer active.") from error
                if "TransactionConflict" in codes and attempt + 1 < VISIT_CONFLICT_ATTEMPTS:
                    self.sleep(secrets.randbelow(20 << attempt) / 1000)
                    continue
                raise DependencyUnavailable(f"DynamoDB cancelled the visit: {codes}") from error
        self._forget_old_visits(key, link.get(RECENT_VISITS, ()), now)

    def _visit_update(self, key: str, now: str, marker: str, *, bot: bool) -> dict[str, Any]:
        """The link's half of a visit: count it if the link is active and the marker is new."""
        counter = BOT_VISITS if bot else VISITS
        update = f"SET #{counter} = if_not_exists(#{counter}, :zero) + :one"
        names = _names("key", "deleted_at", "disabled", "expires_at", "max_visits", VISITS, counter)
        if not bot:
            update += f", #{LAST_VISIT_AT} = :now"
            names.update(_names(LAST_VISIT_AT))
        update += f" ADD #{RECENT_VISITS} :markers"
        names.update(_names(RECENT_VISITS))
        return {
            "TableName": self.links_table,
            "Key": to_item({"key": key}),
            "UpdateExpression": update,
            "ConditionExpression": f"{_ACTIVE} AND NOT contains(#{RECENT_VISITS}, :marker)",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_item(
                {":zero": 0, ":one": 1, ":now": now, ":false": False, ":marker": marker, ":markers": {marker}}
            ),
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }

    def _send_visit(self, key: str, now: str, marker: str, transaction: dict[str, Any]) -> None:
        """Send a visit's ``transaction``; if the SDK gave up with its outcome unknown, the link as
        it is now says what happened. Counted under our marker: done. Not counted: answer as the
        condition would (404, 410), or, the link being live (or unreadable), send it once more
        ourselves (same marker and token: it can only count once). Cancellations (ClientError)
        reach the caller."""
        for last in (False, True):
            try:
                with dependency_guard():
                    self.client.transact_write_items(**transaction)
                return
            except DependencyUnavailable as error:
                if not error.ambiguous:
                    raise
                try:
                    stored = self.get_link(key, consistent=True)
                except DependencyUnavailable:
                    if last:
                        raise
                    continue  # unreadable too: send it once more
                if stored is None:
                    raise LinkNotFound("No link with this key.") from error
                if marker in stored.get(RECENT_VISITS, ()):
                    _counted(stored)
                    return
                if not is_active(stored, now):
                    raise LinkGone("This link is no longer active.") from error
                if last:
                    raise

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
        remembered = self._memory.get(key)
        if remembered is not None:
            kept = set(remembered[1].get(RECENT_VISITS, ())) - old
            self._memory[key] = (remembered[0], {**remembered[1], RECENT_VISITS: kept})
        try:
            with dependency_guard():
                self.client.update_item(
                    TableName=self.links_table,
                    Key=to_item({"key": key}),
                    UpdateExpression=f"DELETE #{RECENT_VISITS} :old",
                    ConditionExpression="attribute_exists(#key)",
                    ExpressionAttributeNames=_names("key", RECENT_VISITS),
                    ExpressionAttributeValues=to_item({":old": old}),
                )
        except DependencyUnavailable:
            pass  # the visit is counted; a later visit forgets them
        except ClientError as error:
            if _code(error) != "ConditionalCheckFailedException":
                raise

    # -- the redirect's read and its visit event ------------------------------------------
    def remembered_link(self, key: str) -> tuple[dict[str, Any] | None, bool]:
        """The link as read less than ``LINK_MEMORY_SECONDS`` ago, else as read now; and whether
        it came from memory.

        The age counts from before the read was sent. A hot link costs one eventually consistent
        GetItem per 2 s per environment. A miss is read again strongly consistent (a link created
        a moment ago redirects at once) and never remembered: an unknown key is read every time.
        """
        started = self.monotonic()
        found = self._memory.get(key)
        if found is not None and started - found[0] < LINK_MEMORY_SECONDS:
            return found[1], True
        item = self.get_link(key, consistent=False) or self.get_link(key, consistent=True)
        if item is None:
            self._memory.pop(key, None)
            return None, False
        self.remember(key, item, since=started)
        return item, False

    def remember(self, key: str, item: Mapping[str, Any], *, since: float | None = None) -> None:
        """Keep ``item`` as the link read at ``since`` (default: now)."""
        if len(self._memory) >= LINK_MEMORY_ITEMS:
            self._memory.clear()  # simplest bound: a full memory starts over
        self._memory[key] = (self.monotonic() if since is None else since, dict(item))

    def forget(self, key: str) -> None:
        self._memory.pop(key, None)

    def put_visit_event(self, event: VisitEvent) -> None:
        """Write ``event`` unless an event with its id (the request id) is there already.

        A repeat of this very put (its answer lost; sent again by the SDK, or once more by us when
        the SDK gave up) fails the condition on its own event: that is the put succeeding. Only a
        put that may not have happened is an error (DependencyUnavailable → 503, no redirect).
        """
        request = self._event_put(event)
        maybe_written = False
        for last in (False, True):
            try:
                with dependency_guard():
                    self.client.put_item(**request)
                return
            except ClientError as error:
                if _code(error) == "ConditionalCheckFailedException":
                    return  # the event with this request id is there: our own earlier attempt
                raise
            except DependencyUnavailable as error:
                maybe_written = maybe_written or error.ambiguous
                if error.ambiguous and not last:
                    continue  # send it once more: if the first was written, this one says so
                # An attempt may have been written with its answer lost: then the visit is
                # counted, and answering 503 would make it a visit without a redirect.
                if maybe_written and self._event_written(event.id):
                    return
                raise

    def _event_written(self, event_id: str) -> bool:
        """Whether the event is in the table (a strongly consistent read); False if unreadable."""
        try:
            with dependency_guard():
                found = self.client.get_item(
                    TableName=self.visits_table,
                    Key=to_item({"id": event_id}),
                    ConsistentRead=True,
                    ProjectionExpression="#id",
                    ExpressionAttributeNames=_names("id"),
                )
        except DependencyUnavailable:
            return False
        return "Item" in found

    def _event_put(self, event: VisitEvent) -> dict[str, Any]:
        """The event's write, alone or in a visit's transaction: only if its id is new."""
        return {
            "TableName": self.visits_table,
            "Item": event.to_item(),
            "ConditionExpression": "attribute_not_exists(#id)",
            "ExpressionAttributeNames": _names("id"),
        }

    # -- the key pool --------------------------------------------------------------------
    def candidate_keys(self, shard: int, start: str, limit: int, enough: int | None = None) -> list[str]:
        """Up to ``limit`` pool keys of one shard from ``start`` on, wrapping around once if that
        gave fewer than ``enough`` (default: ``limit``)."""
        keys = self._query_pool(shard, limit, "#key >= :start", start)
        if len(keys) < (limit if enough is None else enough) and start:
            keys += self._query_pool(shard, limit - len(keys), "#key < :start", start)
        return keys

    def _query_pool(self, shard: int, limit: int, range_condition: str, start: str) -> list[str]:
        if not start:
            range_condition, start = "#key > :start", ""
        with dependency_guard():
            response = self.client.query(
                TableName=self.keys_table,
                KeyConditionExpression=f"#shard = :shard AND {range_condition}",
                ExpressionAttributeNames=_names("shard", "key"),
                ExpressionAttributeValues=to_item({":shard": shard, ":start": start}),
                ProjectionExpression="#key",
                Limit=limit,
            )
        return [item["key"]["S"] for item in response.get("Items", [])]

    def discard_pool_key(self, shard: int, key: str) -> None:
        with dependency_guard():
            self.client.delete_item(TableName=self.keys_table, Key=to_item({"shard": shard, "key": key}))

    def pool_sizes(self) -> dict[int, int]:
        """Unused keys per shard (the sizing item left out)."""
        return {shard: len(keys) for shard, keys in self.pool_contents().keys.items()}

    def pool_contents(self) -> PoolContents:
        """Every unused key by shard, and keygen's sizing item, in one Scan.

        The pool is small by design and a Scan is charged by the items it reads, projection or
        not: reading the keys costs what counting them costs, and lets keygen find keys that sit
        in a shard other than the one their hash names (after a change of ``pool_shards``).
        """
        keys: dict[int, list[str]] = {}
        sizing: dict[str, float] | None = None
        start = None
        while True:
            args: dict[str, Any] = {
                "TableName": self.keys_table,
                "ProjectionExpression": "#shard, #key, #sizing",
                "ExpressionAttributeNames": _names("shard", "key", "sizing"),
            }
            if start:
                args["ExclusiveStartKey"] = start
            with dependency_guard():
                response = self.client.scan(**args)
            for item in response.get("Items", []):
                shard = int(item["shard"]["N"])
                if shard == self.SIZING_SHARD:
                    raw = _deserializer.deserialize(item.get("sizing", {"M": {}}))
                    sizing = {name: float(value) for name, value in raw.items()}
                elif shard >= 0:
                    keys.setdefault(shard, []).append(item["key"]["S"])
            start = response.get("LastEvaluatedKey")
            if not start:
                return PoolContents(keys, sizing)

    # keygen's state between runs lives in one item of the keys table, in a shard no claimer
    # reads (claimers query shards 0 .. pool_shards - 1 only).
    SIZING_SHARD = -1
    SIZING_KEY = "sizing"

    def save_pool_sizing(self, sizing: Mapping[str, float]) -> None:
        item = {"shard": self.SIZING_SHARD, "key": self.SIZING_KEY}
        values = {name: Decimal(str(round(value, 6))) for name, value in sizing.items()}
        with dependency_guard():
            self.client.put_item(
                TableName=self.keys_table, Item={**to_item(item), "sizing": _serializer.serialize(values)}
            )

    def move_pool_keys(self, moves: Mapping[str, tuple[int, int]]) -> tuple[set[str], set[str]]:
        """Move unused keys (key -> (from shard, to shard)) in one transaction.

        Each move deletes the old item only if it is still there (a claimer may have taken it),
        puts the new one only if the key is in neither the new shard nor the links table. A
        claimer that read the key from its old shard then loses its claim ("claimed") and tries
        another key: a key is never given to two links. Returns (stale, busy): keys that must not
        move (gone, already in the new shard, or used by a link: the old copy is to be dropped),
        and keys another request was writing (to try again on a later run). If either is not
        empty, nothing was written.
        """
        actions: list[dict[str, Any]] = []
        names = _names("key")
        exists = {"ConditionExpression": "attribute_exists(#key)", "ExpressionAttributeNames": names}
        absent = {"ConditionExpression": "attribute_not_exists(#key)", "ExpressionAttributeNames": names}
        keys, links = self.keys_table, self.links_table
        for key, (old, new) in moves.items():
            actions += [
                {"Delete": {"TableName": keys, "Key": to_item({"shard": old, "key": key}), **exists}},
                {"Put": {"TableName": keys, "Item": to_item({"shard": new, "key": key}), **absent}},
                {"ConditionCheck": {"TableName": links, "Key": to_item({"key": key}), **absent}},
            ]
        blamed = self._pool_transaction(actions, list(moves), per_key=3, what="move")
        stale = {key for key, codes in blamed.items() if _CONDITION_FAILED in codes}
        busy = {key for key, codes in blamed.items() if "TransactionConflict" in codes}
        return stale, busy - stale

    def add_pool_keys(self, keys: Mapping[str, int]) -> set[str]:
        """Put new keys (key → shard) into the pool in one transaction.

        Every key is checked in the same request against the pool (conditional put) and the
        links table (condition check). Returns the keys that collided; if any did, nothing was
        written and the caller retries without them.
        """
        actions: list[dict[str, Any]] = []
        for key, shard in keys.items():
            condition = {
                "ConditionExpression": "attribute_not_exists(#key)",
                "ExpressionAttributeNames": _names("key"),
            }
            actions.append(
                {
                    "Put": {
                        "TableName": self.keys_table,
                        "Item": to_item({"shard": shard, "key": key}),
                        **condition,
                    }
                }
            )
            actions.append(
                {
                    "ConditionCheck": {
                        "TableName": self.links_table,
                        "Key": to_item({"key": key}),
                        **condition,
                    }
                }
            )
        return set(self._pool_transaction(actions, list(keys), per_key=2, what="refill"))

    def _pool_transaction(
        self, actions: list[dict[str, Any]], ordered: list[str], *, per_key: int, what: str
    ) -> dict[str, set[str]]:
        """Send one transaction of ``per_key`` actions per key (in ``ordered`` order): {} when it
        went through, else each blamed key's cancellation codes (ConditionalCheckFailed: the key is
        not where it should be; TransactionConflict: another request holds it). A cancellation that
        blames no key (throttling) is DependencyUnavailable."""
        if len(actions) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"at most {MAX_TRANSACTION_ITEMS // per_key} keys per transaction")
        try:
            with dependency_guard():
                self.client.transact_write_items(TransactItems=actions)
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            codes = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            blamed: dict[str, set[str]] = {}
            for i, code in enumerate(codes):
                if code in (_CONDITION_FAILED, "TransactionConflict"):
                    blamed.setdefault(ordered[i // per_key], set()).add(str(code))
            if not blamed:
                raise DependencyUnavailable(f"DynamoDB cancelled the {what}: {codes}") from error
            return blamed
        return {}


@dataclass(frozen=True)
class PoolContents:
    keys: dict[int, list[str]]  # shard -> its unused keys (shards >= 0 only)
    sizing: dict[str, float] | None  # keygen's state from its last run, if any
