"""Following a short link: the hot path of the resolve function."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from snip import clock
from snip.errors import LinkGone, LinkNotFound, SnipError
from snip.keys import is_possible_key
from snip.store import Store
from snip.web import error_response, header, is_preview_bot, redirect_response


def is_active(item: Mapping[str, Any], now: str) -> bool:
    """The rules of ``store._ACTIVE``, for HEAD, which looks without counting."""
    expires_at = item.get("expires_at")
    max_visits = item.get("max_visits")
    return (
        "deleted_at" not in item
        and not item.get("disabled", False)
        and (expires_at is None or expires_at > now)
        and (max_visits is None or item.get("visits", 0) < max_visits)
    )


def follow(
    store: Store, method: str, key: str, headers: Mapping[str, str] | None, *, request_id: str = ""
) -> dict[str, Any]:
    """Answer GET or HEAD /{key}: one DynamoDB request either way (``request_id`` marks the visit)."""
    try:
        if not is_possible_key(key):
            raise LinkNotFound("No link with this key.")
        now = clock.now_ts()
        if method == "HEAD":  # answers like GET, counts nothing
            item = store.get_link(key, consistent=False)
            if item is None:
                raise LinkNotFound("No link with this key.")
            if not is_active(item, now):
                raise LinkGone("This link is no longer active.")
        else:
            bot = is_preview_bot(header(headers, "User-Agent"))
            item = store.record_visit(key, now, bot=bot, request_id=request_id)
        return redirect_response(item["url"], int(item["redirect_status"]))
    except SnipError as error:
        return error_response(error, header(headers, "Accept"))
