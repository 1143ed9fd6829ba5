"""The CloudWatch metrics Snip's functions emit (EMF, through Powertools Metrics) and the alarms read.

Functions and the CDK app's alarms and dashboard import the names from here, so a renamed metric
cannot leave an alarm watching nothing.
"""

from __future__ import annotations

NAMESPACE = "Snip"

# shorten
LINKS_CREATED = "LinksCreated"
KEY_CLAIM_CONFLICTS = "KeyClaimConflicts"
POOL_EMPTY_FALLBACKS = "PoolEmptyFallbacks"

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
