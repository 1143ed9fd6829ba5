"""GET /links/summary: an owner's links, visits, bot visits and top 10 links by visits, over the
links not deleted (disabled and expired ones included).

The visits are what the pipeline keeps per owner (``snip.data.owner_totals``): one item with the
owner's totals and the candidates for the top 10, for the links created since the cut. The
summary reads:

* the owner's item (one consistent GetItem) and the cut (one);
* how many links the owner has: Queries of the ``by_owner`` index that count its entries
  (``Select COUNT``: about 50 bytes an entry, 4 KB a read unit at half price);
* the links created before the cut, if any (the search index's entries from the cut back, and
  their counters items in BatchGetItems of 100, ``READERS`` at a time): what the owner item does
  not hold. A stack installed with owner totals has none;
* the candidates' counters items afresh and the top links themselves (for url, title, and that
  they are live), in one BatchGetItem each.

If the candidates cannot show a top 10 for sure (deletes took candidates away and fewer than 10
live ones with at least the floor's visits are left: rare), or before the first aggregator of this
version ran (no cut), every link's counters item is read instead (``summarize_by_reading``).
docs/architecture.md states the cost for an owner with 100,000 links; ``make bench`` measures it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from snip.data.links_table import LinksTable
from snip.data.owner_totals import OwnersTable
from snip.domain.link import Link
from snip.domain.stats import LinkCounts

TOP_LINKS = 10
READERS = 2  # BatchGetItems of counters items in flight at once (as the export)
BATCH = 100
Counts = Callable[[Sequence[str]], dict[str, LinkCounts]]


def summarize(
    table: LinksTable, counts: Counts | None, owner: str, owners: OwnersTable | None = None
) -> dict[str, object]:
    """The owner's figures, as GET /links/summary answers them. ``counts`` reads counters items
    (None: none kept); ``owners``: the owners' totals (None: not kept)."""
    cut = owners.recorded_cut() if owners is not None and counts is not None else None
    if owners is None or counts is None or cut is None:
        return summarize_by_reading(table, counts, owner)
    totals = owners.totals(owner)
    links = table.count_links(owner)
    older = table.owner_tally(owner, before=cut)
    older_counts = _read(counts, [key for key, _, _ in older])
    visits = _visits(older, older_counts)
    older_visits = sum(visits.values())
    older_bots = sum(b for _, _, b in older) + sum(c.bot_visits for c in older_counts.values())
    fresh = counts(sorted(totals.candidates)) if totals.candidates else {}
    ranked = {key: found.visits for key, found in fresh.items() if found.visits > 0}
    ranked |= {key: n for key, n in visits.items() if n > 0}
    top = _top(table, owner, ranked)
    # Every live link that is no candidate has at most the floor's visits: the candidates show a
    # top 10 when their 10th has at least as many (links tied with it may be others than reading
    # every link would name: as many visits, and the contract orders no ties).
    complete = len(top) == TOP_LINKS and int(str(top[-1]["visits"])) >= totals.floor
    if not complete and totals.floor > 0:
        return summarize_by_reading(table, counts, owner)
    return {
        "links": links,
        "visits": totals.visits + older_visits,
        "bot_visits": totals.bot_visits + older_bots,
        "top": top,
    }


def summarize_by_reading(table: LinksTable, counts: Counts | None, owner: str) -> dict[str, object]:
    """The owner's figures from every link: the owner's entries of the search index (each
    link's key and the counts earlier versions froze on its item), then the links' counters
    items in BatchGetItems of 100, ``READERS`` at a time, then the top links themselves."""
    tally = table.owner_tally(owner)
    counted = _read(counts, [key for key, _, _ in tally])
    visits = _visits(tally, counted)
    bot_visits = sum(b for _, _, b in tally) + sum(c.bot_visits for c in counted.values())
    return {
        "links": len(tally),
        "visits": sum(visits.values()),
        "bot_visits": bot_visits,
        "top": _top(table, owner, {key: n for key, n in visits.items() if n > 0}),
    }


def _read(counts: Counts | None, keys: list[str]) -> dict[str, LinkCounts]:
    counted: dict[str, LinkCounts] = {}
    if counts is None or not keys:
        return counted
    chunks = [keys[start : start + BATCH] for start in range(0, len(keys), BATCH)]
    with ThreadPoolExecutor(max_workers=READERS) as readers:
        for found in readers.map(counts, chunks):
            counted.update(found)
    return counted


def _visits(tally: list[tuple[str, int, int]], counted: dict[str, LinkCounts]) -> dict[str, int]:
    """Each link's visits: those its item froze plus its counters item's (newest link first)."""
    return {key: own + counted.get(key, LinkCounts()).visits for key, own, _ in tally}


def _top(table: LinksTable, owner: str, visits: dict[str, int]) -> list[dict[str, object]]:
    """The TOP_LINKS live links with most visits; among equals, the newest first. Reads the links
    in order of visits (all those tied with the last one needed), skipping deleted ones."""
    ordered = sorted(visits, key=lambda key: -visits[key])
    live: dict[str, Link] = {}
    at = 0
    while at < len(ordered) and len(live) < TOP_LINKS:
        end = at + TOP_LINKS - len(live)
        while end < len(ordered) and visits[ordered[end]] == visits[ordered[end - 1]] and end - at < BATCH:
            end += 1
        found = table.get_links(ordered[at:end])
        live |= {key: link for key, link in found.items() if link.live_for(owner)}
        at = end
    chosen = sorted(live, key=lambda key: (visits[key], live[key].created_at or "", key), reverse=True)
    return [
        {"key": key, "url": live[key].url, "title": live[key].title, "visits": visits[key]}
        for key in chosen[:TOP_LINKS]
    ]
