"""GET /links/summary: an owner's links, visits, bot visits and top 10 links by visits, over the
links not deleted (disabled and expired ones included).

Nothing keeps these figures per owner: the visit pipeline counts per link, on each link's counters
item, and an owner's total kept beside them would be one more item in each link's counting write,
up to 2 more write units per visit where a link gets one visit per batch (a Zipf day: 1.437 write
units per visit against a goal of at most 1.5, docs/performance.md). So the summary reads what is
kept: the owner's entries of the search index (each link's key and the counts earlier versions
froze on its item), then the links' counters items in BatchGetItems of 100, ``READERS`` at a
time, then the top links themselves for their url and title. Its cost grows with the owner's links:
docs/architecture.md states it for 100,000, and ``make bench`` measures it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from snip.data.links_table import LinksTable
from snip.domain.stats import LinkCounts

TOP_LINKS = 10
READERS = 2  # BatchGetItems of counters items in flight at once (as the export)
BATCH = 100


def summarize(
    table: LinksTable, counts: Callable[[Sequence[str]], dict[str, LinkCounts]] | None, owner: str
) -> dict[str, object]:
    """The owner's figures, as GET /links/summary answers them. ``counts`` reads counters items
    (None: none kept); a link with no visits is in no top list."""
    tally = table.owner_tally(owner)
    keys = [key for key, _, _ in tally]
    counted: dict[str, LinkCounts] = {}
    if counts is not None and keys:
        chunks = [keys[start : start + BATCH] for start in range(0, len(keys), BATCH)]
        with ThreadPoolExecutor(max_workers=READERS) as readers:
            for found in readers.map(counts, chunks):
                counted.update(found)
    visits: dict[str, int] = {}
    bot_visits = 0
    for key, own_visits, own_bot_visits in tally:
        extra = counted.get(key, LinkCounts())
        visits[key] = own_visits + extra.visits
        bot_visits += own_bot_visits + extra.bot_visits
    # Most visits first; among equals, newest first (the index's order, which sorted keeps).
    ranked = sorted((key for key in keys if visits[key] > 0), key=lambda key: -visits[key])
    top_keys = ranked[:TOP_LINKS]
    links = table.get_links(top_keys) if top_keys else {}
    top = [
        {"key": key, "url": links[key].url, "title": links[key].title, "visits": visits[key]}
        for key in top_keys
        if key in links and links[key].live_for(owner)  # deleted since the index was read: left out
    ]
    return {"links": len(tally), "visits": sum(visits.values()), "bot_visits": bot_visits, "top": top}
