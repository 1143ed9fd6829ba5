"""What a request to create a link may say: THE rules of a POST /links body (and of each item
of a batch), in plain Python.

Every create is checked here, whichever way it arrives: shorten's lean POST /links
(``snip.links_api.lean_create``, no pydantic on the route clients call cold), a batch's items
(``snip.operations.batch_create``) and the Event Handler's route, whose pydantic model
``snip.http.api_models.LinkCreate`` only documents the body and hands it to ``parse_link_request``.
The first problem found is the answer, in the words the API has always used (pydantic's, which
the model first gave): fields in the order below, then unknown fields. The rules that are not plain
types (a URL, an alias, an expiry, tags) are ``snip.domain.validation``'s.
tests/unit/test_link_request.py holds these rules to the model's documented schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TypeVar

from snip.domain import redirect_rules
from snip.domain.errors import InvalidInput
from snip.domain.redirect_rules import RedirectRule, SplitTarget
from snip.domain.short_keys import ALIAS_MIN_LENGTH, KEY_CHARACTERS, MAX_KEY_LENGTH
from snip.domain.validation import (
    DEFAULT_REDIRECT_STATUS,
    MAX_NOTES_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MAX_TITLE_LENGTH,
    MAX_URL_LENGTH,
    MAX_VISITS,
    REDIRECT_STATUSES,
    check_alias,
    check_expires_at,
    check_tags,
    check_title,
    check_url,
)

# The patterns the documented schema states (upper case tags are accepted and stored lowered).
ALIAS_PATTERN = f"^[{KEY_CHARACTERS}]+$"
TAG_PATTERN = "^[A-Za-z0-9_-]+$"
# What the document says of a URL (check_url enforces more: a host, no user-info, ...): http or
# https, then no whitespace nor backslash (every whitespace character is one check_url refuses).
URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s\\]+$"
# What the document says of a title (check_title enforces it).
TITLE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]+$"
STATUS_LIST = ", ".join(map(str, REDIRECT_STATUSES[:-1])) + f" or {REDIRECT_STATUSES[-1]}"
# A PATCH may clear expires_at, max_visits, title and notes with null; these fields it may not clear.
NOT_NULLABLE_ON_PATCH = ("url", "redirect_status", "disabled", "tags")

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

T = TypeVar("T")
V = TypeVar("V")


@dataclass(frozen=True)
class LinkRequest:
    """A valid create request: the checks applied, the expiry in UTC to the second, tags lowered."""

    url: str
    alias: str | None = None
    expires_at: str | None = None
    max_visits: int | None = None
    redirect_status: int = DEFAULT_REDIRECT_STATUS
    tags: list[str] = field(default_factory=list)
    title: str | None = None
    notes: str | None = None
    rules: tuple[RedirectRule, ...] = ()
    split: tuple[SplitTarget, ...] = ()
    forward_query: bool = False


def field_error(name: str, reason: str, code: str | None = None) -> InvalidInput:
    """A field's problem as the API answers it: ``<name>: <reason>.``, code ``invalid_<name>``;
    a reason that already names the field ("url must ...", "An alias is ...") is the message alone."""
    message = reason if _names(reason, name) else f"{name}: {reason}"
    return InvalidInput(message.rstrip(".") + ".", code=code or f"invalid_{name}")


def _names(reason: str, name: str) -> bool:
    """Whether ``reason`` begins with the field's name (after "a" or "an"), or names an item of it
    (``rules[2].when.country: ...``, ``split: ...``)."""
    words = reason.lower().split()
    if words[:1] in (["a"], ["an"]):
        words = words[1:]
    return words[:1] == [name] or bool(words and re.match(rf"{re.escape(name)}[\[.:]", words[0]))


class _Invalid(Exception):
    """One field's first problem."""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _string(
    value: object, min_length: int = 0, max_length: int | None = None, pattern: str | None = None
) -> str:
    """A JSON string (nothing converted to one) of the given length and pattern."""
    if not isinstance(value, str):
        raise _Invalid("Input should be a valid string")
    # JSON's "\ud800" decodes to a lone surrogate, which no UTF-8 holds: a string with a length
    # or a pattern to check must be text (as pydantic's constrained strings), any other is read on.
    constrained = min_length > 0 or max_length is not None or pattern is not None
    if constrained and _LONE_SURROGATE.search(value):
        raise _Invalid("Input should be a valid string, unable to parse raw data as a unicode string")
    if len(value) < min_length:
        raise _Invalid(f"String should have at least {_plural(min_length, 'character')}")
    if max_length is not None and len(value) > max_length:
        raise _Invalid(f"String should have at most {_plural(max_length, 'character')}")
    # fullmatch of what lies between ^ and $: Python's $ would also match before a final newline.
    if pattern is not None and not re.fullmatch(pattern[1:-1], value):
        raise _Invalid(f"String should match pattern '{pattern}'")
    return value


def _checked(check: Callable[[V], T], value: V) -> T:
    try:
        return check(value)
    except ValueError as error:
        raise _Invalid(str(error)) from None


def _url(value: object) -> str:
    return _checked(check_url, _string(value, 1, MAX_URL_LENGTH))


def _alias(value: object) -> str | None:
    if value is None:
        return None
    return _checked(check_alias, _string(value, ALIAS_MIN_LENGTH, MAX_KEY_LENGTH, ALIAS_PATTERN))


def _expires_at(value: object) -> str | None:
    return None if value is None else _checked(check_expires_at, _string(value))


def _max_visits(value: object) -> int | None:
    if value is None:
        return None
    if type(value) is not int:  # neither true nor 5.0
        raise _Invalid("Input should be a valid integer")
    if value < 1:
        raise _Invalid("Input should be greater than or equal to 1")
    if value > MAX_VISITS:
        raise _Invalid(f"Input should be less than or equal to {MAX_VISITS}")
    return value


def check_redirect_status(value: object) -> int:
    """One of the statuses a link may redirect with, as a JSON integer (302.0 is no status)."""
    if isinstance(value, float):
        raise ValueError(f"redirect_status must be an integer: {STATUS_LIST}")
    if type(value) is not int or value not in REDIRECT_STATUSES:
        raise ValueError(f"Input should be {STATUS_LIST}")
    return value


def _redirect_status(value: object) -> int:
    return _checked(check_redirect_status, value)


def _tags(value: object) -> list[str]:
    if not isinstance(value, list):
        raise _Invalid("Input should be a valid list")
    tags = [_string(item, 1, MAX_TAG_LENGTH, TAG_PATTERN) for item in value]
    if len(tags) > MAX_TAGS:
        raise _Invalid(
            f"List should have at most {_plural(MAX_TAGS, 'item')} after validation, not {len(tags)}"
        )
    return _checked(check_tags, tags)


def _title(value: object) -> str | None:
    return None if value is None else _checked(check_title, _string(value, 1, MAX_TITLE_LENGTH))


def _notes(value: object) -> str | None:
    return None if value is None else _string(value, 0, MAX_NOTES_LENGTH)


def _rules(value: object) -> tuple[RedirectRule, ...]:
    return _checked(lambda given: redirect_rules.check_rules(given, check_url), value)


def _split(value: object) -> tuple[SplitTarget, ...]:
    return _checked(lambda given: redirect_rules.check_split(given, check_url), value)


def _forward_query(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("Input should be a valid boolean")
    return value


def check_rule_status(status: int | None, rules: tuple[object, ...], split: tuple[object, ...]) -> None:
    """400 invalid_rules unless a link with rules or a split redirects with 302 or 307."""
    try:
        redirect_rules.check_status(status, rules, split)
    except ValueError as error:
        raise field_error("rules", str(error)) from None


# The fields in the order their problems are reported (``parse_link_request`` checks them so).
FIELDS = tuple(given.name for given in fields(LinkRequest))


def _field(body: dict[str, object], name: str, check: Callable[[object], T], default: T) -> T:
    """The field ``name`` of ``body`` as ``check`` reads it (``default`` if absent); its first
    problem as the API answers it."""
    if name not in body:
        return default
    try:
        return check(body[name])
    except _Invalid as problem:
        raise field_error(name, str(problem)) from None


def parse_link_request(body: object) -> LinkRequest:
    """A create request from a parsed JSON body; InvalidInput with its first problem otherwise."""
    if not isinstance(body, dict):
        raise InvalidInput("The body must be a JSON object.", code="invalid_json")
    if "url" not in body:
        raise field_error("url", "Field required")
    default_status: int = DEFAULT_REDIRECT_STATUS
    # The fields are checked in this order (the first problem is the answer), then unknown fields.
    request = LinkRequest(
        url=_field(body, "url", _url, default=""),  # present: checked above
        alias=_field(body, "alias", _alias, default=None),
        expires_at=_field(body, "expires_at", _expires_at, default=None),
        max_visits=_field(body, "max_visits", _max_visits, default=None),
        redirect_status=_field(body, "redirect_status", _redirect_status, default=default_status),
        tags=_field(body, "tags", _tags, default=[]),
        title=_field(body, "title", _title, default=None),
        notes=_field(body, "notes", _notes, default=None),
        rules=_field(body, "rules", _rules, default=()),
        split=_field(body, "split", _split, default=()),
        forward_query=_field(body, "forward_query", _forward_query, default=False),
    )
    for name in body:
        if name not in FIELDS:
            raise InvalidInput(f"Unknown field '{name}'.", code="unknown_field")
    check_rule_status(request.redirect_status, request.rules, request.split)
    return request
