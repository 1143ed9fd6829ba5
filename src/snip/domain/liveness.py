"""The rule "this link redirects now", written twice and kept side by side: as a DynamoDB
condition (GET counts a visit only if it holds, in the same UpdateItem) and as a Python predicate
(HEAD reads the item and judges it without writing). A test runs both on the same cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Names the attributes key, deleted_at, disabled, expires_at, max_visits and visits (as #name)
# and binds :now and :false. A missing ``disabled`` or ``visits`` reads as false and 0, as the
# predicate (and the visit counter's if_not_exists) reads them.
ACTIVE_CONDITION = (
    "attribute_exists(#key) AND attribute_not_exists(#deleted_at)"
    " AND (attribute_not_exists(#disabled) OR #disabled = :false)"
    " AND (attribute_not_exists(#expires_at) OR #expires_at > :now)"
    " AND (attribute_not_exists(#max_visits) OR attribute_not_exists(#visits) OR #visits < #max_visits)"
)


def is_active(item: Mapping[str, Any], now: str) -> bool:
    """``ACTIVE_CONDITION`` on an item already read (``now`` as ``clock.now_ts`` writes it)."""
    expires_at = item.get("expires_at")
    max_visits = item.get("max_visits")
    return (
        "deleted_at" not in item
        and not item.get("disabled", False)
        and (expires_at is None or expires_at > now)
        and (max_visits is None or item.get("visits", 0) < max_visits)
    )
