"""A link's counters item in the rollups table: its names, shared by the aggregator
(``snip.data.rollups_table``) and the redirect (``snip.data.limited_visits``), which must not load
the aggregator's module (resolve loads no Powertools).

The item ``(key, "link")`` holds ``visits``, ``bot_visits`` and, per writer (a stream shard, or
the redirect itself for a link with ``max_visits``), the latest human visit it counted
(``l#<writer>``) and, per shard, its watermark (``n#<tag>``: ``rollups_table.shard_tag``).
A deleted link's counters item is **frozen** (``frozen``, set by DELETE in the tombstone's
transaction): nothing counts on it after, so what it holds is what its owner's totals take off
again (``snip.data.owner_totals``).
"""

from __future__ import annotations

COUNTERS_BUCKET = "link"  # the sort key of a link's counters item
VISITS, BOT_VISITS = "visits", "bot_visits"
WATERMARK_PREFIX = "n#"  # n#<shard tag>: the highest sequence number of that shard counted here
LATEST_PREFIX = "l#"  # l#<shard tag>, l#redirect: the latest human visit that writer counted
REDIRECT_WRITER = "redirect"  # resolve's own count (a link with max_visits)
FROZEN = "frozen"  # the deleting request's marker: the link is deleted, its counts are final
# Every attribute the redirect's requests on a counters item name (IAM's dynamodb:Attributes for
# resolve, infra/snip_stack.py): never anything of the link's own item.
REDIRECT_ATTRIBUTES = tuple(
    sorted(("key", "bucket", VISITS, BOT_VISITS, LATEST_PREFIX + REDIRECT_WRITER, FROZEN))
)
# What DELETE's freeze of a counters item names (IAM for shorten's UpdateItem on the rollups table).
DELETE_ATTRIBUTES = ("bucket", FROZEN, "key")
