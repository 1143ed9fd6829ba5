"""A link's counters item in the rollups table: its names, shared by the aggregator
(``snip.data.rollups_table``) and the redirect (``snip.data.limited_visits``), which must not load
the aggregator's module (resolve loads no Powertools).

The item ``(key, "link")`` holds ``visits``, ``bot_visits`` and, per writer (a stream shard, or
the redirect itself for a link with ``max_visits``), the latest human visit it counted
(``l#<writer>``) and, per shard, its watermark (``n#<tag>``: ``rollups_table.shard_tag``).
"""

from __future__ import annotations

COUNTERS_BUCKET = "link"  # the sort key of a link's counters item
VISITS, BOT_VISITS = "visits", "bot_visits"
WATERMARK_PREFIX = "n#"  # n#<shard tag>: the highest sequence number of that shard counted here
LATEST_PREFIX = "l#"  # l#<shard tag>, l#redirect: the latest human visit that writer counted
REDIRECT_WRITER = "redirect"  # resolve's own count (a link with max_visits)
# Every attribute the redirect's requests on a counters item name (IAM's dynamodb:Attributes for
# resolve, infra/snip_stack.py): never anything of the link's own item.
REDIRECT_ATTRIBUTES = tuple(sorted(("key", "bucket", VISITS, BOT_VISITS, LATEST_PREFIX + REDIRECT_WRITER)))
