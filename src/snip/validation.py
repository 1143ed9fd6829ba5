"""Rules for user input that are not plain types: URLs, aliases, expiry times, redirect statuses."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal, get_args
from urllib.parse import urlsplit

from snip import clock
from snip.keys import alias_problem

MAX_URL_LENGTH = 2048
MAX_VISITS = 1_000_000_000
# Request bodies larger than this are refused (413) before they are parsed.
MAX_BODY_BYTES = 16 * 1024

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
    if not _valid_host(host):
        raise ValueError("url has an invalid host name")
    return url


def _valid_host(host: str) -> bool:
    if ":" in host:  # an IPv6 literal (urlsplit strips the brackets)
        return all(c in "0123456789abcdef:." for c in host)
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    return all(
        0 < len(label) <= 63
        and all(c.isalnum() or c == "-" for c in label)
        and not label.startswith("-")
        and not label.endswith("-")
        for label in labels
    )


def url_host(url: str) -> str:
    """The normalized host of a URL: lower case, no trailing dot, IDN as ASCII."""
    host = (urlsplit(url).hostname or "").rstrip(".")
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return host.lower()


def check_alias(alias: str) -> str:
    problem = alias_problem(alias)
    if problem:
        raise ValueError(problem)
    return alias


def check_expires_at(value: str) -> str:
    """Return the expiry as Snip stores it (UTC, second precision) if it lies in the future."""
    moment = clock.parse_rfc3339(value)
    if moment <= clock.utcnow():
        raise ValueError("expires_at must be in the future")
    try:
        return clock.format_ts(moment)
    except OverflowError:  # 9999-12-31T23:59:59-01:00 is past year 9999 in UTC
        raise ValueError("expires_at is too far in the future") from None
