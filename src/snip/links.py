"""Links: creating, reading, changing and deleting them, for their owner.

A link item carries key, url, owner, created_at, expires_at, max_visits, visits, bot_visits,
last_visit_at, redirect_status, disabled and, once deleted, the tombstone deleted_at. It also
carries the markers that decide a write whose answer was lost (``store``): create_marker,
delete_marker on the tombstone, recent_visits; the API never shows them.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping
from typing import Any

from snip import clock
from snip.errors import AliasTaken, InvalidInput, KeyTaken, LinkNotFound
from snip.key_pool import Claim, KeyPool
from snip.keys import is_possible_key
from snip.models import LinkCreate, LinkPatch
from snip.store import CREATE_MARKER, Store
from snip.validation import server_address

_CREATED_FIELDS = ("key", "url", "created_at", "expires_at", "max_visits", "redirect_status")


def view(item: Mapping[str, Any], base_url: str, *, detail: bool) -> dict[str, Any]:
    """The link as the API shows it (creation fields, counters, and for ``detail`` the rest)."""
    shown: dict[str, Any] = {name: item.get(name) for name in _CREATED_FIELDS}
    shown["short_url"] = f"{base_url}/{item['key']}"
    shown["visits"] = item.get("visits", 0)
    if detail:
        shown["bot_visits"] = item.get("bot_visits", 0)
        shown["last_visit_at"] = item.get("last_visit_at")
        shown["disabled"] = item.get("disabled", False)
    return shown


def _reject_self_reference(url: str, own_hosts: Collection[str]) -> None:
    """``own_hosts`` holds Snip's own ``server_address`` values: a link to one would loop."""
    if server_address(url) in own_hosts:
        raise InvalidInput("url must not point at this shortener.", code="invalid_url")


class Links:
    def __init__(self, store: Store, pool: KeyPool) -> None:
        self._store = store
        self._pool = pool

    def create(
        self, owner: str, request: LinkCreate, base_url: str, own_hosts: Collection[str]
    ) -> tuple[dict[str, Any], Claim | None]:
        _reject_self_reference(request.url, own_hosts)
        fields = {
            "owner": owner,
            "url": request.url,
            "created_at": clock.now_ts(),
            "expires_at": request.expires_at,
            "max_visits": request.max_visits,
            "redirect_status": request.redirect_status,
            "visits": 0,
            "bot_visits": 0,
            "disabled": False,
            # This create's own mark: a repeat of its write recognises the link as its own.
            CREATE_MARKER: secrets.token_urlsafe(12),
        }
        if request.alias is not None:
            item = {"key": request.alias, **fields}
            try:
                self._store.put_link(item)
            except KeyTaken:
                raise AliasTaken(f"The alias '{request.alias}' is taken.") from None
            return view(item, base_url, detail=False), None
        claim = self._pool.claim(lambda key: {"key": key, **fields})
        return view({"key": claim.key, **fields}, base_url, detail=False), claim

    def get(self, owner: str, key: str, base_url: str) -> dict[str, Any]:
        item = self._store.get_link(key, consistent=True) if is_possible_key(key) else None
        if not item or item.get("owner") != owner or "deleted_at" in item:
            raise LinkNotFound("No link with this key.")
        return view(item, base_url, detail=True)

    def update(
        self, owner: str, key: str, patch: LinkPatch, base_url: str, own_hosts: Collection[str]
    ) -> dict[str, Any]:
        if not is_possible_key(key):
            raise LinkNotFound("No link with this key.")
        given = {name: getattr(patch, name) for name in patch.model_fields_set}
        for name in LinkPatch.NOT_NULLABLE:
            if name in given and given[name] is None:
                raise InvalidInput(f"{name} cannot be null.", code=f"invalid_{name}")
        if given.get("url"):
            _reject_self_reference(given["url"], own_hosts)
        if not given:
            return self.get(owner, key, base_url)
        changes = {k: v for k, v in given.items() if v is not None}
        removals = tuple(k for k, v in given.items() if v is None)
        item = self._store.update_link(key, owner, changes, removals)
        return view(item, base_url, detail=True)

    def delete(self, owner: str, key: str) -> None:
        """Leave a tombstone: the key answers 410 and is never issued again."""
        if not is_possible_key(key):
            raise LinkNotFound("No link with this key.")
        self._store.delete_link(key, owner, clock.now_ts(), secrets.token_urlsafe(12))
