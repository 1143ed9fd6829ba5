"""Who is calling: the owner and scopes behind the API key id API Gateway hands the function.

Links belong to an owner, not to a key, so that an owner may hold several keys. The registry
(``snip.data.api_keys_table``) says whose a key is; each execution environment keeps what it read
for at most ``CACHE_SECONDS``, so a revocation reaches every warm function within that time
without a registry read on every request.

A key id without a record is its own owner with both scopes: links created before owners
existed (owner = API key id) stay reachable by their key, and the stack's own API key needs no
record (docs/deploy.md, "Owners and keys").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from snip.data.api_keys_table import ApiKeyRegistry
from snip.domain import api_scopes
from snip.domain.errors import ApiKeyRevoked, InsufficientScope

CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class Principal:
    key_id: str
    owner: str
    scopes: tuple[str, ...]

    def require(self, needed: str) -> None:
        if not api_scopes.allows(self.scopes, needed):
            raise InsufficientScope(f"This API key lacks the {needed} scope.")


class Owners:
    def __init__(
        self,
        registry: ApiKeyRegistry,
        *,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = registry
        self.ttl = min(ttl, CACHE_SECONDS)
        self.clock = clock
        self._cache: dict[str, tuple[float, Principal | None]] = {}  # key id -> (read at, None = revoked)

    def principal(self, key_id: str) -> Principal:
        """The caller behind ``key_id``; ApiKeyRevoked once the registry says so (within ``ttl``)."""
        now = self.clock()
        cached = self._cache.get(key_id)
        if cached is None or now - cached[0] >= self.ttl:
            cached = (now, self._read(key_id))
            self._cache[key_id] = cached
        found = cached[1]
        if found is None:
            raise ApiKeyRevoked("This API key was revoked.")
        return found

    def _read(self, key_id: str) -> Principal | None:
        record = self.registry.get(key_id)
        if record is None:  # no record: the key is its own owner (see the module docstring)
            return Principal(key_id, key_id, api_scopes.ALL)
        if record.revoked_at:
            return None
        return Principal(key_id, record.owner, record.scopes)
