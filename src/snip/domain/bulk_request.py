"""What a POST /links/bulk body may say: up to 100 of the owner's keys and one action on them all.

``snip.http.api_models.BulkChange`` documents the body and hands it here, as ``LinkCreate`` does
with ``snip.domain.link_request``: every problem of the body is 400 ``invalid_bulk`` (a key that
names no link of the owner is that key's own 404, not the body's problem); unknown fields are
``unknown_field``, as on every body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from snip.domain.errors import InvalidInput
from snip.domain.validation import MAX_TAGS, check_tags

MAX_BULK_KEYS = 100
BulkAction = Literal["delete", "disable", "enable", "add_tags", "remove_tags"]
ACTIONS: tuple[str, ...] = get_args(BulkAction)
TAG_ACTIONS = ("add_tags", "remove_tags")
FIELDS = ("keys", "action", "tags")


@dataclass(frozen=True)
class BulkRequest:
    keys: tuple[str, ...]
    action: str
    tags: tuple[str, ...] = ()  # lower case, only with a tag action


def _invalid(reason: str) -> InvalidInput:
    return InvalidInput(f"{reason}.", code="invalid_bulk")


def parse_bulk_request(body: object) -> BulkRequest:
    """A bulk request from a parsed JSON body; InvalidInput with its first problem otherwise."""
    if not isinstance(body, dict):
        raise InvalidInput("The body must be a JSON object.", code="invalid_json")
    keys = body.get("keys")
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise _invalid("keys: a list of 1 to 100 keys (strings)")
    if not 1 <= len(keys) <= MAX_BULK_KEYS:
        raise _invalid(f"keys: 1 to {MAX_BULK_KEYS} keys, not {len(keys)}")
    if len(set(keys)) != len(keys):
        raise _invalid("keys: each key once")
    action = body.get("action")
    if action not in ACTIONS:
        raise _invalid(f"action: one of {', '.join(ACTIONS)}")
    if action not in TAG_ACTIONS:
        if "tags" in body:
            raise _invalid(f"tags: only with {' or '.join(TAG_ACTIONS)}")
        tags: list[str] = []
    else:
        given = body.get("tags")
        if not isinstance(given, list) or not given or not all(isinstance(tag, str) for tag in given):
            raise _invalid(f"tags: {action} needs a list of 1 to {MAX_TAGS} tags")
        try:
            tags = check_tags(given)
        except ValueError as error:
            raise _invalid(f"tags: {error}") from None
    for name in body:
        if name not in FIELDS:
            raise InvalidInput(f"Unknown field '{name}'.", code="unknown_field")
    return BulkRequest(tuple(keys), str(action), tuple(tags))
