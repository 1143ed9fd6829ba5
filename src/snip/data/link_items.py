"""What a link item holds beyond the API's fields: the attribute names the data package, the
deployment (``snip_deploy.tables``: the owner index, IAM's attribute lists) and the tests share.
"""

from __future__ import annotations

# The markers that let a repeated write recognise its own earlier attempt (snip.data.lost_writes).
CREATE_MARKER = "create_marker"  # on a link: the request that created it
DELETE_MARKER = "delete_marker"  # on a tombstone: the request that deleted it
RECENT_VISITS = "recent_visits"  # string set: the markers of the visits counted lately
# What a visit writes: a person's visit counts ``visits`` and stamps ``last_visit_at``; a
# preview bot's counts ``bot_visits`` only (IAM limits resolve's UpdateItem to these, the
# condition's attributes and the markers: snip_deploy.tables.VISIT_ATTRIBUTES).
VISITS, BOT_VISITS, LAST_VISIT_AT = "visits", "bot_visits", "last_visit_at"
VISIT_COUNTERS = (VISITS, BOT_VISITS, LAST_VISIT_AT)

# The owner's listing (GET /links) reads the links table's index BY_OWNER_INDEX (defined with
# the table in snip_deploy.tables): partition OWNER, sort LISTED_AT = "<created_at>#<key>",
# written with the link and removed by its delete (tombstones leave the index).
OWNER, TAGS, LISTED_AT = "owner", "tags", "listed_at"
BY_OWNER_INDEX = "by_owner"


def listed_at(created_at: str, key: str) -> str:
    return f"{created_at}#{key}"
