"""Rules for user input that are not plain types: URLs, aliases, expiry times, redirect statuses,
tags, and the request body limits."""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
from datetime import timedelta
from typing import Literal, get_args
from urllib.parse import urlsplit

from snip.domain import clock
from snip.domain.short_keys import alias_problem

MAX_URL_LENGTH = 2048
MAX_VISITS = 1_000_000_000
# Request bodies larger than this are refused (413) before they are parsed; a batch of up to
# 100 creates gets more room. One home for both: the body check and the error's description.
MAX_BODY_BYTES = 16 * 1024
MAX_BATCH_BODY_BYTES = 1024 * 1024
BATCH_RESOURCE = "/links/batch"  # API Gateway's resource path of the batch route
BODY_LIMITS = {BATCH_RESOURCE: MAX_BATCH_BODY_BYTES}


def body_limit(resource: str) -> int:
    """The largest body the route at ``resource`` (API Gateway's resource path) accepts."""
    return BODY_LIMITS.get(resource, MAX_BODY_BYTES)


# GET /links pages.
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 25, 100

# Tags: a few short lowercase labels per link, for the owner's own filtering.
MAX_TAGS = 10
MAX_TAG_LENGTH = 32
TAG_CHARACTERS = "a-z0-9_-"
_TAG = re.compile(f"[{TAG_CHARACTERS}]{{1,{MAX_TAG_LENGTH}}}", re.ASCII)

# A title and notes: the owner's own words about a link, never shown to visitors.
MAX_TITLE_LENGTH = 200
MAX_NOTES_LENGTH = 1000
# A title is one line: no control characters (C0, DEL, C1).
_CONTROL_CATEGORIES = {"Cc"}

# The statuses a link may redirect with: the API's type, the cache headers and the OpenAPI
# document all derive from this one Literal.
RedirectStatusCode = Literal[301, 302, 307, 308]
REDIRECT_STATUSES: tuple[int, ...] = get_args(RedirectStatusCode)
DEFAULT_REDIRECT_STATUS: RedirectStatusCode = 302
# Whitespace, controls, format characters (bidi overrides, zero-width joiners) and separators
# have no place in a URL a person will be sent to.
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}
# host[:port], the host an IPv6 literal in brackets or a name without brackets or colons.
_NETLOC = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^\[\]:@/]+)(:\d{0,5})?")


def check_url(url: str) -> str:
    """Return ``url`` if it is an absolute http(s) URL with a host; ValueError otherwise."""
    if not url or len(url) > MAX_URL_LENGTH:
        raise ValueError(f"url must be 1 to {MAX_URL_LENGTH} characters")
    if any(unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in url) or "\\" in url:
        raise ValueError("url must not contain whitespace, control characters or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError on a malformed port
    except ValueError as exc:
        raise ValueError(f"url is malformed: {exc}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("url must be an absolute http or https URL")
    if "@" in parts.netloc:
        raise ValueError("url must not contain user information (user:password@)")
    if not _NETLOC.fullmatch(parts.netloc):  # urlsplit ignores what follows "]" in "[::1]x"
        raise ValueError("url has an invalid host")
    host = parts.hostname
    if not host:
        raise ValueError("url must have a host")
    if port == 0:
        raise ValueError("url has an invalid port")
    if normalize_host(host) is None:
        raise ValueError("url has an invalid host name")
    return url


# The last label of a host that browsers (WHATWG URL) read as an IPv4 address: decimal or 0x-hex.
_NUMERIC_LABEL = re.compile(r"\d+|0x[0-9a-f]*", re.ASCII)


def normalize_host(host: str) -> str | None:
    """The one spelling of a URL host, or None if it is not a valid host.

    Names are mapped as a whole by IDNA (the codec's nameprep folds case and width and reads
    U+3002, U+FF0E and U+FF61 as dots), so the trailing dot is stripped after the mapping, never
    before. IPv4 addresses in any spelling browsers accept (127.1, 2130706433, 0x7f.0.0.1,
    0177.0.0.1) become a dotted quad, decided by ``inet_aton``; IPv6 addresses their compressed
    form, and an IPv4-mapped one (::ffff:127.0.0.1) the IPv4 address it maps.
    """
    if ":" in host:  # an IPv6 literal (urlsplit strips the brackets)
        try:
            address = ipaddress.IPv6Address(host)
        except ValueError:
            return None
        return str(address.ipv4_mapped or address)
    try:
        name = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    name = name.removesuffix(".")
    labels = name.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        try:
            return socket.inet_ntoa(socket.inet_aton(name))
        except OSError:
            return None
    valid = all(
        0 < len(label) <= 63
        and all(c.isalnum() or c == "-" for c in label)
        and not label.startswith("-")
        and not label.endswith("-")
        for label in labels
    )
    return name if valid else None


def url_host(url: str) -> str:
    """The normalized host of a URL (see ``normalize_host``); for an invalid host, its lower case."""
    host = urlsplit(url).hostname or ""
    return normalize_host(host) or host.lower()


_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_loopback(host: str) -> bool:
    """A normalized host that names this machine: localhost (RFC 6761), 127/8, ::1, 0.0.0.0."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def server_address(url: str) -> str:
    """What names the server a URL reaches, for the self-reference rule.

    A public host is one service on every port: its normalized host. One machine runs many
    servers, so a loopback host is ``loopback:<port>`` (the scheme's port when none is given),
    whichever spelling of the machine the URL uses.
    """
    parts = urlsplit(url)
    host = url_host(url)
    if not is_loopback(host):
        return host
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), 0)
    return f"loopback:{port}"


def check_alias(alias: str) -> str:
    problem = alias_problem(alias)
    if problem:
        raise ValueError(problem)
    return alias


def check_expires_at(value: str) -> str:
    """Return the expiry as Snip stores it (UTC, second precision) if it lies in the future.

    A fraction of a second is rounded up, never down: an expiry 0.3 s ahead stored truncated
    would name a moment already past, and the link would be born expired.
    """
    moment = clock.parse_rfc3339(value)
    if moment <= clock.utcnow():
        raise ValueError("expires_at must be in the future")
    try:
        if moment.microsecond:
            moment += timedelta(microseconds=1_000_000 - moment.microsecond)
        return clock.format_ts(moment)
    except OverflowError:  # 9999-12-31T23:59:59-01:00 is past year 9999 in UTC
        raise ValueError("expires_at is too far in the future") from None


def normalize_tag(tag: str) -> str:
    """The tag as stored (lower case); ValueError unless it is 1-32 of [a-z0-9_-] once lowered."""
    lowered = tag.lower()
    if not _TAG.fullmatch(lowered):
        raise ValueError(f"a tag is 1 to {MAX_TAG_LENGTH} characters of a-z, 0-9, '_' and '-'")
    return lowered


def check_tags(tags: list[str]) -> list[str]:
    """The tags as stored: lower case, in the order given; at most 10, no two alike."""
    if len(tags) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags")
    lowered = [normalize_tag(tag) for tag in tags]
    if len(set(lowered)) != len(lowered):
        raise ValueError("tags must be distinct (compared in lower case)")
    return lowered


def check_title(title: str) -> str:
    """The title as stored (as given); ValueError if it holds a control character."""
    if any(unicodedata.category(ch) in _CONTROL_CATEGORIES for ch in title):
        raise ValueError("title must not contain control characters")
    return title
