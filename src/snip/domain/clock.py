"""Time as Snip stores it: UTC, RFC 3339, second precision, fixed width.

Fixed width makes the stored strings sort like the instants they name, so DynamoDB condition
expressions can compare them (``expires_at > :now``) without a second numeric copy.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_AFTER_YEAR = "-%m-%dT%H:%M:%SZ"  # the year is written apart: %Y would write year 1 as "1"
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})", re.ASCII)


def utcnow() -> datetime:
    return datetime.now(UTC)


def format_ts(moment: datetime) -> str:
    """``moment`` in UTC, fixed width."""
    utc = moment.astimezone(UTC)
    return f"{utc.year:04d}{utc.strftime(_AFTER_YEAR)}"


def now_ts() -> str:
    return format_ts(utcnow())


def parse_rfc3339(text: str) -> datetime:
    """An RFC 3339 date-time with an explicit offset; ValueError otherwise."""
    if not _RFC3339.fullmatch(text):
        raise ValueError("expected an RFC 3339 date-time with an offset, e.g. 2030-01-31T12:00:00Z")
    normalized = text.upper()
    if "." in normalized:  # fromisoformat takes at most 6 fractional digits
        head, _, tail = normalized.partition(".")
        digits = re.match(r"\d+", tail)
        assert digits is not None
        normalized = f"{head}.{digits.group()[:6].ljust(6, '0')}{tail[digits.end() :]}"
    return datetime.fromisoformat(normalized.replace("Z", "+00:00"))
