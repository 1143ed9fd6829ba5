"""A link deleted, as the visits table carries it: DELETE writes a GoneEvent in the same transaction
as the link's tombstone and the freeze of its counters item, and the aggregator, reading the
table's stream, takes the link's frozen counts off its owner's totals once
(``snip.data.owner_totals``). Not a visit: a module of its own, which resolve never loads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from snip.domain.visit_events import typed_value

GONE = "gone"  # the ``kind`` of a GoneEvent's item (a visit event's item has no kind)


@dataclass(frozen=True)
class GoneEvent:
    """A link deleted: written by DELETE in the same transaction as the link's tombstone and the
    freeze of its counters item, so that the aggregator takes the link's counts off its owner's
    totals once (``snip.data.owner_totals``). Its id is ``gone#<key>``: a key is deleted once."""

    key: str
    owner: str
    at: str  # the deletion's time (RFC 3339 UTC, seconds)
    created: str  # the link's created_at
    expires: int  # epoch seconds: the visits table's TTL attribute

    @property
    def id(self) -> str:
        return f"{GONE}#{self.key}"

    def to_item(self) -> dict[str, dict[str, str]]:
        return {
            "id": {"S": self.id},
            "kind": {"S": GONE},
            "key": {"S": self.key},
            "owner": {"S": self.owner},
            "at": {"S": self.at},
            "created": {"S": self.created},
            "expires": {"N": str(self.expires)},
        }

    @classmethod
    def from_item(cls, item: Mapping[str, Mapping[str, object]]) -> GoneEvent:
        """A GoneEvent from its item (KeyError if it is none, TypeError if an attribute is not
        of its type)."""
        if typed_value(item["kind"]["S"], str) != GONE:
            raise KeyError("kind")
        return cls(
            key=typed_value(item["key"]["S"], str),
            owner=typed_value(item["owner"]["S"], str),
            at=typed_value(item["at"]["S"], str),
            created=typed_value(item["created"]["S"], str),
            expires=int(typed_value(item["expires"]["N"], str)),
        )
