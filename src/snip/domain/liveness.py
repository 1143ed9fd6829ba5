"""The rule "this link redirects now", as resolve judges the link it read (or remembers for up to
2 s; a link with ``max_visits`` is read afresh) before it writes anything. For a link with
``max_visits`` the count is judged once more, atomically, by the condition of the transaction that
counts the visit on the link's counters item (``snip.data.limited_visits``): the link's ``visits``
here are only those its own item holds.
"""

from __future__ import annotations

from snip.domain.link import Link


def is_active(link: Link, now: str) -> bool:
    """Whether ``link`` (as read) redirects at ``now`` (as ``clock.now_ts`` writes it)."""
    return (
        link.deleted_at is None
        and not link.disabled
        and (link.expires_at is None or link.expires_at > now)
        and (link.max_visits is None or link.visits < link.max_visits)
    )
