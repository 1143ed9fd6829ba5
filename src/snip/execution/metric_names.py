"""The CloudWatch metrics Snip's functions emit (EMF, through Powertools Metrics) and the alarms read.

Functions and the CDK app's alarms and dashboard import the names from here, so a renamed metric
cannot leave an alarm watching nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from snip.operations.key_pool import Claim

NAMESPACE = "Snip"

# shorten
LINKS_CREATED = "LinksCreated"
KEY_CLAIM_CONFLICTS = "KeyClaimConflicts"
POOL_EMPTY_FALLBACKS = "PoolEmptyFallbacks"


def creation_counts(links: int, claim: Claim | None = None) -> list[tuple[str, float]]:
    """What shorten counts of ``links`` new links, and of how a single create's key was claimed
    (conflicts met on the way, whether the pool was empty; None for an alias or a batch), whichever
    telemetry writes them (Powertools' Metrics or the lean path's EMF counters)."""
    counts: list[tuple[str, float]] = [(LINKS_CREATED, links)]
    if claim is not None:
        counts.append((KEY_CLAIM_CONFLICTS, claim.conflicts))
        if claim.fallback:
            counts.append((POOL_EMPTY_FALLBACKS, 1))
    return counts


# resolve: one of these per redirect request
REDIRECTS = "Redirects"
LINK_NOT_FOUND = "LinkNotFound"
LINK_GONE = "LinkGone"
DEPENDENCY_UNAVAILABLE = "DependencyUnavailable"

# keygen, after each run
KEYS_GENERATED = "KeysGenerated"
KEY_COLLISIONS = "KeyCollisions"
POOL_SIZE = "PoolSize"

# aggregate, after each batch
VISITS_AGGREGATED = "VisitsAggregated"
VISITS_REPEATED = "VisitsRepeated"  # events of a redelivered batch, found counted already
