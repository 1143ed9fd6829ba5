"""The rule "this link redirects now", written twice and kept side by side: as a Python predicate
(resolve judges the link it read, or remembers for up to 2 s, before it puts the visit event; HEAD
judges it without writing) and as a DynamoDB condition (a link with ``max_visits`` counts its
visit only if the rule holds, in the same TransactWriteItems that writes the event:
``snip.data.limited_visits``). A test runs both on the same cases.
"""

from __future__ import annotations

from snip.domain.link import Link

# Names the attributes key, deleted_at, disabled, expires_at, max_visits and visits (as #name)
# and binds :now and :false. A missing ``disabled`` or ``visits`` reads as false and 0, as the
# predicate (and the visit counter's if_not_exists) reads them.
ACTIVE_CONDITION = (
    "attribute_exists(#key) AND attribute_not_exists(#deleted_at)"
    " AND (attribute_not_exists(#disabled) OR #disabled = :false)"
    " AND (attribute_not_exists(#expires_at) OR #expires_at > :now)"
    " AND (attribute_not_exists(#max_visits) OR attribute_not_exists(#visits) OR #visits < #max_visits)"
)


def is_active(link: Link, now: str) -> bool:
    """``ACTIVE_CONDITION`` on a link already read (``now`` as ``clock.now_ts`` writes it)."""
    return (
        link.deleted_at is None
        and not link.disabled
        and (link.expires_at is None or link.expires_at > now)
        and (link.max_visits is None or link.visits < link.max_visits)
    )
