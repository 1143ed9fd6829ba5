"""A visit event: what resolve records for every redirect of a link without ``max_visits``.

resolve writes one event per redirect (a conditional put keyed by the request id into the visits
table, so a retried put can never make a second event) and answers only once it is durable; the
aggregator reads the table's stream and turns events into per-link counts and rollups. This module
is the one definition of the event both sides share: its fields, its item layout and its parsing.

No IP address is ever part of an event. The referrer is kept as its host only; the user agent is
kept raw here and classified (device, browser, os) by the aggregator, off the redirect's hot path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")

DIRECT = "(direct)"  # a visit without a Referer
UNKNOWN = "(unknown)"  # no CloudFront-Viewer-Country header (the REST API alone never sends one)
SOURCE_LINK = "link"
SOURCE_QR = "qr"  # the short URL was opened with ?qr=1 (the QR code's target)
DEFAULT_DESTINATION = "default"  # sent to the link's url (no rule, no split: snip.domain.redirect_rules)
# The visits table is a queue, not the archive (that is S3's): an event's item only has to stop a
# retried put from making a second event (seconds) and to be on the stream (which keeps records
# 24 h whatever becomes of the item). A day, then TTL deletes it (free, within a few days).
EVENT_TTL_SECONDS = 86_400


@dataclass(frozen=True)
class VisitEvent:
    id: str  # the request id (API Gateway's): the item's key, spread over partitions by itself
    at: str  # RFC 3339 UTC with milliseconds, fixed width: 2030-01-31T12:00:00.123Z
    key: str
    owner: str
    bot: bool
    referrer: str  # host of the Referer, or DIRECT
    country: str  # ISO 3166-1 alpha-2, or UNKNOWN
    user_agent: str  # raw; classified by the aggregator
    source: str  # SOURCE_LINK | SOURCE_QR
    expires: int  # epoch seconds: the visits table's TTL attribute
    # The redirect counted this visit on the link itself (a link with max_visits counts in the
    # redirect's own write): the aggregator adds it to the rollups only, never to the link again.
    counted: bool = False
    # Why the visitor was sent where it went (snip.domain.redirect_rules.reason): a rule's index
    # "0".."9", a split's variant "split:<i>", or "default" (the link's url), which an item leaves out.
    destination: str = DEFAULT_DESTINATION
    target: str = ""  # with a destination: the tag of its URL (redirect_rules.target_tag), never the URL
    # When the link was created (its created_at): the aggregator keeps an owner's totals for links
    # created since the owner totals' cut (snip.data.owner_totals); "" in events written before.
    created: str = ""

    def to_item(self) -> dict[str, dict[str, str | bool]]:
        """The event as a DynamoDB item (low-level attribute values)."""
        return {
            "id": {"S": self.id},
            "at": {"S": self.at},
            "key": {"S": self.key},
            "owner": {"S": self.owner},
            "bot": {"BOOL": self.bot},
            "referrer": {"S": self.referrer},
            "country": {"S": self.country},
            "user_agent": {"S": self.user_agent},
            "source": {"S": self.source},
            "expires": {"N": str(self.expires)},
            **({"counted": {"BOOL": True}} if self.counted else {}),
            **(
                {"destination": {"S": self.destination}, "target": {"S": self.target}}
                if self.destination != DEFAULT_DESTINATION
                else {}
            ),
            **({"created": {"S": self.created}} if self.created else {}),
        }

    @classmethod
    def from_item(cls, item: Mapping[str, Mapping[str, object]]) -> VisitEvent:
        """An event from a DynamoDB item, as the stream's NewImage carries it (TypeError if an
        attribute is not of its type)."""

        def text(name: str) -> str:
            return typed_value(item[name]["S"], str)

        return cls(
            id=text("id"),
            at=text("at"),
            key=text("key"),
            owner=text("owner"),
            bot=bool(item["bot"]["BOOL"]),
            referrer=text("referrer"),
            country=text("country"),
            user_agent=typed_value(item.get("user_agent", {}).get("S", ""), str),
            source=text("source"),
            expires=int(typed_value(item["expires"]["N"], str)),
            counted=bool(item.get("counted", {}).get("BOOL", False)),
            destination=typed_value(item.get("destination", {}).get("S", DEFAULT_DESTINATION), str),
            target=typed_value(item.get("target", {}).get("S", ""), str),
            created=typed_value(item.get("created", {}).get("S", ""), str),
        )


def typed_value(value: object, kind: type[T]) -> T:
    """``value`` if it is a ``kind`` (an item's attribute as the stream's image types it), else
    TypeError."""
    if not isinstance(value, kind):
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


MAX_HOST_LENGTH = 253  # a DNS name's most; anything longer is no host, and would swell the rollups


def usable_host(host: str) -> str:
    """``host`` as the breakdowns may hold it: DIRECT when it is longer than any host name."""
    return host if len(host) <= MAX_HOST_LENGTH else DIRECT


def referrer_host(referer: str | None) -> str:
    """The Referer's host, lower case, never its path or query; DIRECT without a usable one."""
    if not referer:
        return DIRECT
    try:
        host = urlsplit(referer.strip()).hostname
    except ValueError:
        return DIRECT
    return usable_host(host.rstrip(".").lower()) if host else DIRECT


def country_code(header_value: str | None) -> str:
    """CloudFront-Viewer-Country as two upper-case letters, else UNKNOWN."""
    value = (header_value or "").strip().upper()
    return value if len(value) == 2 and value.isascii() and value.isalpha() else UNKNOWN
