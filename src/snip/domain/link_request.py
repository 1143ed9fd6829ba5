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
from dataclasses import dataclass, field
from typing import Any

from snip.domain.errors import InvalidInput
from snip.domain.short_keys import ALIAS_MIN_LENGTH, KEY_CHARACTERS, MAX_KEY_LENGTH
from snip.domain.validation import (
    DEFAULT_REDIRECT_STATUS,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MAX_URL_LENGTH,
    MAX_VISITS,
    REDIRECT_STATUSES,
    check_alias,
    check_expires_at,
    check_tags,
    check_url,
)

# The patterns the documented schema states (upper case tags are accepted and stored lowered).
ALIAS_PATTERN = f"^[{KEY_CHARACTERS}]+$"
TAG_PATTERN = "^[A-Za-z0-9_-]+$"
STATUS_LIST = ", ".join(map(str, REDIRECT_STATUSES[:-1])) + f" or {REDIRECT_STATUSES[-1]}"
# A PATCH may clear expires_at and max_visits with null; these fields it may not clear.
NOT_NULLABLE_ON_PATCH = ("url", "redirect_status", "disabled", "tags")


@dataclass(frozen=True)
class LinkRequest:
    """A valid create request: the checks applied, the expiry in UTC to the second, tags lowered."""

    url: str
    alias: str | None = None
    expires_at: str | None = None
    max_visits: int | None = None
    redirect_status: int = DEFAULT_REDIRECT_STATUS
    tags: list[str] = field(default_factory=list)


def field_error(name: str, reason: str, code: str | None = None) -> InvalidInput:
    """A field's problem as the API answers it: ``<name>: <reason>.``, code ``invalid_<name>``."""
    message = f"{name}: {reason}"
    return InvalidInput(message.rstrip(".") + ".", code=code or f"invalid_{name}")


class _Invalid(Exception):
    """One field's first problem."""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _string(
    value: Any, min_length: int = 0, max_length: int | None = None, pattern: str | None = None
) -> str:
    """A JSON string (nothing converted to one) of the given length and pattern."""
    if not isinstance(value, str):
        raise _Invalid("Input should be a valid string")
    if len(value) < min_length:
        raise _Invalid(f"String should have at least {_plural(min_length, 'character')}")
    if max_length is not None and len(value) > max_length:
        raise _Invalid(f"String should have at most {_plural(max_length, 'character')}")
    # fullmatch of what lies between ^ and $: Python's $ would also match before a final newline.
    if pattern is not None and not re.fullmatch(pattern[1:-1], value):
        raise _Invalid(f"String should match pattern '{pattern}'")
    return value


def _checked(check: Callable[[Any], Any], value: Any) -> Any:
    try:
        return check(value)
    except ValueError as error:
        raise _Invalid(str(error)) from None


def _url(value: Any) -> str:
    return str(_checked(check_url, _string(value, max_length=MAX_URL_LENGTH)))


def _alias(value: Any) -> str | None:
    if value is None:
        return None
    return str(_checked(check_alias, _string(value, ALIAS_MIN_LENGTH, MAX_KEY_LENGTH, ALIAS_PATTERN)))


def _expires_at(value: Any) -> str | None:
    return None if value is None else str(_checked(check_expires_at, _string(value)))


def _max_visits(value: Any) -> int | None:
    if value is None:
        return None
    if type(value) is not int:  # neither true nor 5.0
        raise _Invalid("Input should be a valid integer")
    if value < 1:
        raise _Invalid("Input should be greater than or equal to 1")
    if value > MAX_VISITS:
        raise _Invalid(f"Input should be less than or equal to {MAX_VISITS}")
    return value


def check_redirect_status(value: Any) -> int:
    """One of the statuses a link may redirect with, as a JSON integer (302.0 is no status)."""
    if isinstance(value, float):
        raise ValueError(f"redirect_status must be an integer: {STATUS_LIST}")
    if type(value) is not int or value not in REDIRECT_STATUSES:
        raise ValueError(f"Input should be {STATUS_LIST}")
    return value


def _tags(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise _Invalid("Input should be a valid list")
    for item in value:
        _string(item, 1, MAX_TAG_LENGTH, TAG_PATTERN)
    if len(value) > MAX_TAGS:
        raise _Invalid(
            f"List should have at most {_plural(MAX_TAGS, 'item')} after validation, not {len(value)}"
        )
    return list(_checked(check_tags, value))


# The fields in the order their problems are reported.
_FIELDS: dict[str, Callable[[Any], Any]] = {
    "url": _url,
    "alias": _alias,
    "expires_at": _expires_at,
    "max_visits": _max_visits,
    "redirect_status": lambda value: _checked(check_redirect_status, value),
    "tags": _tags,
}
FIELDS = tuple(_FIELDS)
_REQUIRED = frozenset({"url"})


def parse_link_request(body: Any) -> LinkRequest:
    """A create request from a parsed JSON body; InvalidInput with its first problem otherwise."""
    if not isinstance(body, dict):
        raise InvalidInput("The body must be a JSON object.", code="invalid_json")
    values: dict[str, Any] = {}
    for name, check in _FIELDS.items():
        if name not in body:
            if name in _REQUIRED:
                raise field_error(name, "Field required")
            continue
        try:
            values[name] = check(body[name])
        except _Invalid as problem:
            raise field_error(name, str(problem)) from None
    for name in body:
        if name not in _FIELDS:
            raise InvalidInput(f"Unknown field '{name}'.", code="unknown_field")
    return LinkRequest(**values)
