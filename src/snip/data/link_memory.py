"""The links an execution environment remembers for the redirect, for at most 2 s.

CONTRACT §2: an edit, disable or delete takes effect within 2 s. So resolve may answer from a
link it read less than ``LINK_MEMORY_SECONDS`` ago: a hot link costs one eventually consistent
GetItem per 2 s per environment instead of one per redirect.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from snip.data.links_table import LinksTable
from snip.domain.link import Link

LINK_MEMORY_SECONDS = 2.0
LINK_MEMORY_ITEMS = 10_000  # links kept that long, at most


class LinkMemory:
    def __init__(self, links: LinksTable, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.links = links
        self.monotonic = monotonic
        self._memory: dict[str, tuple[float, Link]] = {}

    def remembered_link(self, key: str) -> tuple[Link | None, bool]:
        """The link as read less than ``LINK_MEMORY_SECONDS`` ago, else as read now; and whether
        it came from memory.

        The age counts from before the read was sent. A miss is read again strongly consistent
        (a link created a moment ago redirects at once) and never remembered: an unknown key is
        read every time.
        """
        started = self.monotonic()
        found = self._memory.get(key)
        if found is not None and started - found[0] < LINK_MEMORY_SECONDS:
            return found[1], True
        item = self.links.get_link(key, consistent=False) or self.links.get_link(key, consistent=True)
        if item is None:
            self._memory.pop(key, None)
            return None, False
        self.remember(key, item, since=started)
        return item, False

    def read_again(self, key: str) -> Link | None:
        """The link as it is now (eventually consistent), remembered from now on if it is there."""
        item = self.links.get_link(key, consistent=False)
        if item is not None:
            self.remember(key, item)
        return item

    def remember(self, key: str, item: Link, *, since: float | None = None) -> None:
        """Keep ``item`` as the link read at ``since`` (default: now)."""
        if len(self._memory) >= LINK_MEMORY_ITEMS:
            self._memory.clear()  # simplest bound: a full memory starts over
        self._memory[key] = (self.monotonic() if since is None else since, item)

    def forget(self, key: str) -> None:
        self._memory.pop(key, None)
