"""The one way Snip decides a write whose answer may be lost.

Every write that must happen once is sent again when its answer is lost, by botocore's retries
(inside one call) or by us. So each such write carries a marker of the request that made it (a
link's ``create_marker``, a tombstone's ``delete_marker``, a visit's entry in ``recent_visits``,
an idempotency record's ``put_marker``, a visit event's own id), its condition returns the item it
failed on (``ReturnValuesOnConditionCheckFailure=ALL_OLD``), and:

* a conditional failure on an item bearing our own marker met our own earlier attempt: the write
  succeeded (``failed_on_own``: the ALL_OLD item, or one consistent read if it is missing);
* if the SDK gave up with the outcome unknown (``DependencyUnavailable.ambiguous``: every answer
  lost), one consistent read decides: our marker there, it happened; otherwise (or unreadable)
  it is sent once more ourselves, the same request, marker and token, so that a repeat can only
  succeed once (``send_once``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from snip.data.dependency_guard import dependency_guard
from snip.domain.errors import DependencyUnavailable

T = TypeVar("T")


def send_once(send: Callable[[], T], applied: Callable[[], bool], *, resend_first: bool = False) -> T | None:
    """``send()``'s answer, or None when its answer was lost and ``applied()`` (one consistent
    read; False when unreadable; it may raise the domain error the read shows) says it happened.

    Sent at most twice. Conditional failures (ClientError) reach the caller. With
    ``resend_first`` the lost write is sent once more before any read, and read only if that
    fails too: for a write whose condition recognises its own repeat by itself (a visit event's
    id), a resend costs what a read would and usually settles it.
    """
    maybe_applied = False
    for last in (False, True):
        try:
            with dependency_guard():
                return send()
        except DependencyUnavailable as error:
            maybe_applied = maybe_applied or error.ambiguous
            if resend_first:
                if error.ambiguous and not last:
                    continue  # send it once more: if the first was written, this one says so
                # An attempt may have been written with its answer lost: then it is done.
                if maybe_applied and applied():
                    return None
                raise
            if not error.ambiguous:
                raise
            if applied():
                return None
            if last:
                raise
    raise AssertionError("unreachable")


def failed_on_own(old: T | None, read: Callable[[], T | None], mine: Callable[[T], bool]) -> bool:
    """Whether the item a condition failed on (``old``: DynamoDB's ALL_OLD, decoded by the
    caller) was written by this very request. DynamoDB (and moto) return that item; only if it is
    missing is it ``read``."""
    item = old if old is not None else read()
    return item is not None and mine(item)


def readable(read: Callable[[], T | None]) -> T | None:
    """``read()``, or None if it cannot be read either (a lost answer's check never fails on it)."""
    try:
        return read()
    except DependencyUnavailable:
        return None
